package frontend

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// The test checks whichever state this binary was compiled in: after
// `npm run build` the UI and playground are served; on a fresh clone every
// path says how to build the UI. Both states are real deployments.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()

	get := func(t *testing.T, p string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatalf("GET %s: reading body: %v", p, err)
		}
		return res, string(b)
	}

	if !Built() {
		res, body := get(t, "/")
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "make frontend") {
			t.Fatalf("GET / without a built UI = %d %q, want 503 naming `make frontend`", res.StatusCode, body)
		}
		t.Skip("UI not built (only dist/.gitkeep embedded); built-UI checks skipped")
	}

	tests := []struct {
		path, wantType, wantBody string
		wantStatus               int
	}{
		{"/", "text/html", `<div id="root">`, 200},
		{"/index.html", "text/html", `<div id="root">`, 200},
		{"/playground", "text/html", `<div id="playground">`, 200},
		{"/playground/", "text/html", `<div id="playground">`, 200},
		{"/.gitkeep", "", "", 404},
		{"/no-such-file.js", "", "", 404},
		{"/assets/", "", "", 404},
		{"/assets", "", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := get(t, tt.path)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if tt.wantType != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), tt.wantType) {
				t.Errorf("Content-Type = %q, want %s", res.Header.Get("Content-Type"), tt.wantType)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body does not contain %q", tt.wantBody)
			}
			if tt.wantType == "text/html" && res.Header.Get("Content-Security-Policy") != ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy = %q, want the package's policy", res.Header.Get("Content-Security-Policy"))
			}
		})
	}

	// Every asset the UI page references must be served, with a long cache.
	_, index := get(t, "/")
	i := strings.Index(index, "/assets/")
	if i < 0 {
		t.Fatal("index.html references no /assets/ file")
	}
	end := strings.IndexAny(index[i:], `"'`)
	asset := index[i : i+end]
	res, _ := get(t, asset)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s = %d Cache-Control %q, want 200 immutable", asset, res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if !PlaygroundBuilt() {
		t.Error("PlaygroundBuilt() = false after a build")
	}
}

// TestNoDirectoryListing: a directory of the bundle is never listed
// (checked over a stand-in bundle, so it runs without a built UI too).
func TestNoDirectoryListing(t *testing.T) {
	srv := httptest.NewServer(handler(fstest.MapFS{
		"index.html":            {Data: []byte(`<div id="root">`)},
		"assets/app-1234.js":    {Data: []byte(`console.log(1)`)},
		"assets/sub/x.css":      {Data: []byte(`a{}`)},
		"playground/index.html": {Data: []byte(`<div id="playground">`)},
	}, true))
	defer srv.Close()
	for p, want := range map[string]int{"/assets/": 404, "/assets": 404, "/assets/sub/": 404, "/assets/app-1234.js": 200, "/": 200} {
		res, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want || strings.Contains(string(b), "app-1234.js") {
			t.Errorf("GET %s = %d %q, want %d and no file names", p, res.StatusCode, b, want)
		}
	}
}

// refs matches the URLs an HTML or CSS file makes the browser fetch.
var refs = regexp.MustCompile(`(?:src|href)="([^"]*)"|url\(\s*['"]?([^)'"]*)`)

// TestAssetsAreLocal checks the UI works offline: no built HTML or CSS file
// refers to anything outside the binary (a CDN script, a web font).
func TestAssetsAreLocal(t *testing.T) {
	if !Built() {
		t.Skip("UI not built")
	}
	checked := 0
	err := fs.WalkDir(Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".css")) {
			return err
		}
		b, err := fs.ReadFile(Assets(), p)
		if err != nil {
			return err
		}
		for _, m := range refs.FindAllStringSubmatch(string(b), -1) {
			u := m[1] + m[2]
			checked++
			if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "#") || (strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")) || (!strings.Contains(u, ":") && !strings.HasPrefix(u, "//")) {
				continue
			}
			t.Errorf("%s refers to %q outside the bundle", p, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no references found: the pattern is broken")
	}
}
