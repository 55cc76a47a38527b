package data

import (
	"errors"
	"fmt"
)

// Sentinel errors, wrapped by the errors this package returns; test with
// errors.Is.
var (
	// ErrFormat marks a file whose content does not follow its format
	// (wrong magic number, wrong size, wrong dimensions).
	ErrFormat = errors.New("bad format")
	// ErrTruncated marks a file that ends inside a record or header.
	ErrTruncated = errors.New("truncated")
	// ErrLabel marks a label outside the dataset's class range.
	ErrLabel = errors.New("label out of range")
	// ErrChecksum marks a download whose checksum is not the expected one.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrNotFound marks a dataset whose files cannot be found.
	ErrNotFound = errors.New("dataset files not found")
)

// FileError is an error in a dataset file. It names the file and, where
// known, the record and its byte offset.
type FileError struct {
	File   string // path of the file
	Record int    // 0-based record index, -1 when the error is not in a record
	Offset int64  // byte offset in the (decompressed) file, -1 when unknown
	Err    error  // what is wrong; wraps one of the sentinel errors
}

// Error implements error.
func (e *FileError) Error() string {
	switch {
	case e.Record >= 0 && e.Offset >= 0:
		return fmt.Sprintf("data: %s: record %d (offset %d): %v", e.File, e.Record, e.Offset, e.Err)
	case e.Offset >= 0:
		return fmt.Sprintf("data: %s: offset %d: %v", e.File, e.Offset, e.Err)
	default:
		return fmt.Sprintf("data: %s: %v", e.File, e.Err)
	}
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }
