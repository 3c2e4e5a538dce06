package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"unicode/utf8"
)

// maxLine bounds one record; longer lines are rejected (and skipped) rather
// than buffered, so memory stays bounded whatever the input.
const maxLine = 1 << 20

// recordReader splits an input into records, one a line, in both formats.
// A CSV record is one line too: no valid field can hold a newline (ids and
// text refuse control characters), so a quoted field that is not closed
// on its line is a reject of that line alone, and the next line starts the
// next record (docs/FORMATS.md), instead of swallowing the lines after it.
// It counts lines and bytes and feeds every byte, in order, to the chunk
// hash.
type recordReader struct {
	r      *bufio.Reader
	line   int64 // number of the last physical line read
	offset int64 // bytes consumed
	hash   hash.Hash
	buf    []byte
}

// record is one record: one line.
type record struct {
	data    []byte // without the line terminator; valid until the next call
	line    int64  // its first line
	tooLong bool   // over maxLine: data is empty, the record was skipped
	noEOL   bool   // the input ended without a newline after it
}

// newRecordReader reads r, whose first line is line+1 at byte offset. Both
// formats split the same way; the unnamed flag (CSV or not) is left from
// when CSV records could span lines.
func newRecordReader(r io.Reader, _ bool, line, offset int64) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 256<<10), line: line, offset: offset, hash: sha256.New()}
}

// next returns the next record, or io.EOF.
func (rr *recordReader) next() (record, error) {
	rec := record{line: rr.line + 1}
	chunk, err := rr.r.ReadSlice('\n')
	// Nearly every record is one whole line in the reader's buffer: return
	// it from there, without copying it.
	if err == nil {
		rr.offset += int64(len(chunk))
		rr.hash.Write(chunk)
		rr.line++
		rec.data = bytes.TrimRight(chunk, "\r\n")
		return rec, nil
	}
	return rr.slowNext(rec, chunk, err)
}

// slowNext goes on with a record that is longer than the reader's buffer
// or ends the input; chunk and err are what the first read gave.
func (rr *recordReader) slowNext(rec record, chunk []byte, err error) (record, error) {
	rr.buf = rr.buf[:0]
	for first := true; ; first = false {
		if !first {
			chunk, err = rr.r.ReadSlice('\n')
		}
		rr.offset += int64(len(chunk))
		rr.hash.Write(chunk)
		if len(rr.buf)+len(chunk) > maxLine {
			rec.tooLong = true
		} else {
			rr.buf = append(rr.buf, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			rr.line++
		} else if err == io.EOF {
			if len(rr.buf) == 0 && !rec.tooLong {
				return record{}, io.EOF
			}
			rr.line++
			rec.noEOL = true
		} else if err != nil {
			return record{}, err
		}
		break
	}
	if rec.tooLong {
		rr.buf = rr.buf[:0]
	}
	rec.data = bytes.TrimRight(rr.buf, "\r\n")
	return rec, nil
}

// chainSum closes the current chunk: its id is SHA-256 over the previous
// chunk's id and every byte of this chunk, so it names "this content at
// this position of this input". Re-reading the same bytes gives the same
// ids; a different file, or the same records in another order, does not.
func (rr *recordReader) chainSum() string {
	sum := rr.hash.Sum(nil)
	id := hex.EncodeToString(sum[:16])
	// The next chunk starts from the id itself, the same value a resume
	// restarts the chain from (checkpoint.Chain).
	rr.resetChain(id)
	return id
}

// resetChain starts the chain at a given id (a checkpoint's, or the seed).
func (rr *recordReader) resetChain(prev string) {
	rr.hash.Reset()
	rr.hash.Write([]byte(prev))
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// sniff looks at the start of an input: is it binary, and which format it
// seems to be. It only peeks, so the bytes still go through the hash.
// Binary means a NUL byte, or more than 1 byte in 16 of the first 8 KiB
// not UTF-8 (compressed or image data): a text file with a few bad bytes
// is read, and each record holding one is a reject of its own, so one
// stray byte does not cost the valid records around it.
func sniff(r *bufio.Reader) (format string, err error) {
	head, _ := r.Peek(8 << 10)
	if len(head) == 0 {
		return "", nil
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return "", errors.New("binary data (NUL bytes): not NDJSON or CSV")
	}
	if invalidBytes(head) > len(head)/16 {
		return "", errors.New("binary data (not UTF-8): not NDJSON or CSV")
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(t) > 0 && t[0] == '{' {
		return FormatNDJSON, nil
	}
	return FormatCSV, nil
}

// invalidBytes counts the bytes of b that are not part of a valid UTF-8
// sequence; a rune cut at the end of b counts as valid.
func invalidBytes(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 && (len(b)-i >= utf8.UTFMax || utf8.FullRune(b[i:])) {
			n++
		}
		i += size
	}
	return n
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d B", n)
}
