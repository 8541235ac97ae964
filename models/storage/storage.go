// Package storage keeps uploaded files behind a small interface: a local
// folder (the default) or a bucket of an S3-compatible object store,
// without the handlers noticing.
package storage

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
)

// Store keeps files by name. Names are chosen by the portal, never by the
// uploader.
type Store interface {
	Put(ctx context.Context, name string, data []byte) error
	Open(ctx context.Context, name string) (File, error)
	// Delete removes a file; a name not held is no error.
	Delete(ctx context.Context, name string) error
	// Check tells whether the store can be used now (readiness).
	Check(ctx context.Context) error
}

// File is a stored file, readable from any position (for range requests).
type File interface {
	io.ReadSeekCloser
}

// ErrNotFound is returned for a name the store does not hold.
var ErrNotFound = errors.New("file not found")

// ErrUnavailable wraps a store's failure to answer (down, unreachable,
// overloaded): "try again later", not a bug.
var ErrUnavailable = errors.New("file store unavailable")

var safeName = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$`)

// Folder stores files in a local directory.
type Folder struct {
	Dir string
}

func checkName(name string) error {
	if !safeName.MatchString(name) || name == "." || name == ".." {
		return errors.New("storage: unsafe file name")
	}
	return nil
}

// Put writes a file through a temporary one and a rename, so a reader
// never sees half a file.
func (f Folder) Put(_ context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(f.Dir, ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(f.Dir, name))
}

// Open opens a stored file. It opens it through an os.Root of the folder,
// so that nothing outside it can be reached, whatever the name.
func (f Folder) Open(_ context.Context, name string) (File, error) {
	if err := checkName(name); err != nil {
		return nil, ErrNotFound
	}
	root, err := os.OpenRoot(f.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	defer root.Close()
	file, err := root.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return file, err
}

// Delete removes a stored file.
func (f Folder) Delete(_ context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	root, err := os.OpenRoot(f.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Check tells whether the folder exists or can be made, and is writable.
func (f Folder) Check(_ context.Context) error {
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return err
	}
	probe, err := os.CreateTemp(f.Dir, ".ready-*")
	if err != nil {
		return err
	}
	_ = probe.Close()
	return os.Remove(probe.Name())
}
