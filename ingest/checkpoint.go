package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lockstep-dev/lockstep/events"
)

var (
	accountCols = events.AccountColumns
	loginCols   = events.LoginColumns
	lookupCols  = events.LookupColumns
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// checkpoint is the local record of how far a file is committed. It only
// saves re-reading: the markers in Neo4j are what guarantee that no batch
// is applied twice, so a lost or stale checkpoint costs time, not counts.
type checkpoint struct {
	File    string    `json:"file"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	Offset  int64     `json:"offset"` // bytes up to the end of the last committed chunk
	Line    int64     `json:"line"`
	Chunk   int       `json:"chunk"` // next chunk number
	Chain   string    `json:"chain"` // id of the last committed chunk
	Seed    string    `json:"seed"`
}

func checkpointPath(stateDir, file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(stateDir, "ingest", "checkpoints", hex.EncodeToString(sum[:12])+".json")
}

func loadCheckpoint(path string, info os.FileInfo, seed string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cp checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case cp.Seed != seed:
		return nil, fmt.Errorf("written with other batch sizes (%s)", cp.Seed)
	case info == nil || cp.Size != info.Size() || !cp.ModTime.Equal(info.ModTime()):
		return nil, errors.New("the file changed since the checkpoint")
	}
	return &cp, nil
}

// save writes the checkpoint atomically (temporary file and rename).
func (cp *checkpoint) save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("ingest: checkpoint: %w", err)
	}
	b, _ := json.Marshal(cp)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("ingest: checkpoint: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("ingest: checkpoint: %w", err)
	}
	return nil
}
