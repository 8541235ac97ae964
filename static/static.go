// Package static embeds the portal's stylesheet, scripts and images and
// serves them under content-hashed names (/static/css/site.3f2a9c1e.css), so
// browsers may cache them for a year and still see every change at once.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed css img
var files embed.FS

// Prefix is the URL path under which assets are served.
const Prefix = "/static/"

type asset struct {
	name        string // path inside the embedded tree: css/site.css
	contentType string
	body        []byte
}

// Assets maps logical names to hashed URLs and serves the hashed URLs.
type Assets struct {
	urls   map[string]string // css/site.css -> /static/css/site.<hash>.css
	byPath map[string]asset  // css/site.<hash>.css -> asset
}

// Default holds the embedded assets, hashed once when the program loads.
var Default = mustLoad(files)

func mustLoad(fsys fs.FS) *Assets {
	a, err := Load(fsys)
	if err != nil {
		panic(err) // the embedded tree is part of the binary: a failure here is a build error
	}
	return a
}

// Load hashes every file of fsys.
func Load(fsys fs.FS) (*Assets, error) {
	a := &Assets{urls: map[string]string{}, byPath: map[string]asset{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		a.urls[name] = Prefix + hashed
		a.byPath[hashed] = asset{name: name, contentType: mime.TypeByExtension(ext), body: body}
		return nil
	})
	return a, err
}

// URL returns the hashed URL of a logical asset name. An unknown name is a
// programming error and panics, so a typo fails the first test that renders it.
func (a *Assets) URL(name string) string {
	u, ok := a.urls[name]
	if !ok {
		panic("static: no asset named " + name)
	}
	return u
}

// URL returns the hashed URL of an embedded asset.
func URL(name string) string { return Default.URL(name) }

// Serve writes the asset at a hashed URL path with a one-year, immutable
// cache lifetime. It reports false, writing nothing, for any other path so
// that the caller can answer with its own 404 page.
func (a *Assets) Serve(w http.ResponseWriter, r *http.Request) bool {
	asset, ok := a.byPath[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok {
		return false
	}
	h := w.Header()
	if asset.contentType != "" {
		h.Set("Content-Type", asset.contentType)
	}
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodHead {
		_, _ = w.Write(asset.body)
	}
	return true
}
