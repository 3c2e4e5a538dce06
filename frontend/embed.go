// Package frontend holds the Lockstep web UI and the GraphiQL playground as
// built by Vite (`npm ci && npm run build` in this directory, or `make frontend`),
// embedded into the binary so the UI works with no internet access.
//
// A fresh clone has only dist/.gitkeep: the package still compiles, Built reports
// false, and the server can tell the user to build the UI.
package frontend

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// PlaygroundPath is where the GraphiQL page lives inside Assets (served at /playground/).
const PlaygroundPath = "playground/index.html"

// Assets returns the built files rooted at dist (index.html, playground/index.html, assets/...).
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub only fails on an invalid path; "dist" is a constant.
		panic(err)
	}
	return sub
}

// Built reports whether the real UI was built into dist before compiling the
// binary (false on a fresh clone, where only dist/.gitkeep is embedded).
func Built() bool {
	_, err := fs.Stat(Assets(), "index.html")
	return err == nil
}

// PlaygroundBuilt reports whether the GraphiQL playground page is present.
func PlaygroundBuilt() bool {
	_, err := fs.Stat(Assets(), PlaygroundPath)
	return err == nil
}

// ContentSecurityPolicy is sent with the UI and playground pages: everything
// comes from this server (the UI must work offline, so nothing may be loaded
// from elsewhere), the API is reached over fetch and WebSocket on the same
// host, the graph layout runs in a blob: web worker, and GraphiQL/Monaco and
// React inject styles at run time.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
	"connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// NotBuiltMessage is what the server should answer at / when Built is false.
const NotBuiltMessage = "Lockstep UI not built; run `make frontend` (or `npm ci && npm run build` in frontend/) and rebuild the binary.\n"

// Handler serves the UI at / and the playground at /playground (mount it at "/"
// after the API routes). Hashed files under /assets/ are cached for a year;
// HTML is never cached, so a new binary's UI is picked up at once. The UI uses
// hash routing (/#/networks/...), so no SPA fallback is needed. Unknown paths
// get 404, and so do directories (never listed). When the UI was not built, every path answers 503 with NotBuiltMessage.
func Handler() http.Handler { return handler(Assets(), Built()) }

func handler(assets fs.FS, built bool) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !built {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(NotBuiltMessage))
			return
		}
		p := path.Clean("/" + r.URL.Path)
		switch {
		case p == "/playground":
			// Serve the page directly rather than redirecting to /playground/.
			serveFile(w, r, assets, PlaygroundPath)
			return
		case p == "/" || p == "/index.html":
			serveFile(w, r, assets, "index.html")
			return
		case strings.HasPrefix(p, "/assets/"):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		case p == "/.gitkeep":
			http.NotFound(w, r)
			return
		}
		if fi, err := fs.Stat(assets, strings.TrimPrefix(p, "/")); err == nil && fi.IsDir() {
			// http.FileServer would list it: file names are not for
			// anyone who asks.
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

func serveFile(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(b)
}
