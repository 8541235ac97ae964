package handlers_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/storage"
	"investportal/models/storage/seaweed"
)

func init() {
	adminAccess["GET /admin/uploads"] = []string{models.RoleAdmin, models.RoleEditor}
	adminAccess["POST /admin/uploads"] = []string{models.RoleAdmin, models.RoleEditor}
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{200, 30, 30, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngClaiming is a valid small PNG whose header claims other dimensions:
// a decompression bomb as DecodeConfig sees it.
func pngClaiming(t *testing.T, w, h uint32) []byte {
	data := pngBytes(t, 1, 1)
	ihdr := data[8+8 : 8+8+13] // signature, chunk length and type, then IHDR data
	binary.BigEndian.PutUint32(ihdr[0:4], w)
	binary.BigEndian.PutUint32(ihdr[4:8], h)
	binary.BigEndian.PutUint32(data[8+8+13:], crc32.ChecksumIEEE(data[8+4:8+8+13]))
	return data
}

func (v *visitor) upload(filename string, data []byte, csrf string) *http.Request {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", csrf)
	if filename != "" {
		part, _ := w.CreateFormFile("file", filename)
		part.Write(data)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, "/admin/uploads", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

func TestImageUploadChecksBytesAndServesSafely(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.95")

	var jpg bytes.Buffer
	jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 4, 3)), nil)
	bad := map[string]struct {
		name string
		data []byte
		code int
	}{
		"no file":             {"", nil, http.StatusUnprocessableEntity},
		"empty file":          {"empty.png", []byte{}, http.StatusUnprocessableEntity},
		"HTML named .png":     {"evil.png", []byte("<html><script>alert(1)</script></html>"), http.StatusUnprocessableEntity},
		"SVG":                 {"logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), http.StatusUnprocessableEntity},
		"truncated PNG":       {"cut.png", pngBytes(t, 8, 8)[:40], http.StatusUnprocessableEntity},
		"decompression bomb":  {"bomb.png", pngClaiming(t, 50_000, 50_000), http.StatusUnprocessableEntity},
		"over the size limit": {"big.png", append(pngBytes(t, 1, 1), make([]byte, 5<<20)...), http.StatusUnprocessableEntity},
		"over the body limit": {"huge.png", make([]byte, 7<<20), http.StatusRequestEntityTooLarge},
	}
	for name, tc := range bad {
		rec := editor.do(editor.upload(tc.name, tc.data, editor.csrf()))
		if rec.Code != tc.code {
			t.Errorf("%s = %d, want %d", name, rec.Code, tc.code)
		}
	}
	if n := countRows(t, db, "uploads"); n != 0 {
		t.Fatalf("refused uploads stored %d rows", n)
	}

	// A JPEG named .png is stored as the JPEG it is.
	for _, tc := range []struct{ name, ext, contentType string }{{"红山区/园区 航拍.png", ".png", "image/png"}, {"photo.png", ".jpg", "image/jpeg"}} {
		data := pngBytes(t, 64, 48)
		if tc.ext == ".jpg" {
			data = jpg.Bytes()
		}
		rec := editor.do(editor.upload(tc.name, data, editor.csrf()))
		if rec.Code != http.StatusCreated {
			t.Fatalf("upload %s = %d\n%s", tc.name, rec.Code, rec.Body.String())
		}
		var u models.Upload
		db.Order("id DESC").Take(&u)
		if !strings.HasSuffix(u.Name, tc.ext) || u.ContentType != tc.contentType || strings.Contains(u.OriginalName, "/") {
			t.Errorf("stored %+v", u)
		}
		if md := parse(t, rec).Find(`[data-testid="notice"]`).Text(); !strings.Contains(md, "](/uploads/"+u.Name+")") {
			t.Errorf("notice lacks the Markdown: %q", md)
		}
		served := get(t, e, http.MethodGet, "/uploads/"+u.Name)
		hd := served.Header()
		if served.Code != http.StatusOK || hd.Get("Content-Type") != tc.contentType || hd.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(hd.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(hd.Get("Cache-Control"), "immutable") ||
			!bytes.Equal(served.Body.Bytes(), data) {
			t.Errorf("served %s: %d %v", u.Name, served.Code, hd)
		}
		if head := get(t, e, http.MethodHead, "/uploads/"+u.Name); head.Code != http.StatusOK || head.Body.Len() != 0 {
			t.Errorf("HEAD = %d with %d bytes", head.Code, head.Body.Len())
		}
	}
	for _, p := range []string{"/uploads/0123456789abcdef0123456789abcdef.png", "/uploads/..%2F..%2Fetc%2Fpasswd", "/uploads/x.svg"} {
		if rec := get(t, e, http.MethodGet, p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
	if n := len(auditOf(t, db, "uploads", 1)); n != 1 {
		t.Errorf("upload audit entries: %d", n)
	}
	// An image in Markdown reaches the public page through the sanitiser.
	var name string
	db.Raw("SELECT name FROM uploads ORDER BY id LIMIT 1").Scan(&name)
	dbtest.MustExec(t, db, "UPDATE policies SET body = body || ? WHERE slug = ?", "\n\n![园区航拍](/uploads/"+name+")", electronicsPolicy)
	page := parse(t, get(t, e, http.MethodGet, "/policies/"+electronicsPolicy))
	if src, _ := page.Find(`main img[alt="园区航拍"]`).Attr("src"); src != "/uploads/"+name {
		t.Errorf("policy page image src = %q", src)
	}
}

// namesPut records what a store was given, passing everything on.
type namesPut struct {
	storage.Store
	mu    sync.Mutex
	names []string
}

func (n *namesPut) Put(ctx context.Context, name string, data []byte) error {
	n.mu.Lock()
	n.names = append(n.names, name)
	n.mu.Unlock()
	return n.Store.Put(ctx, name, data)
}

// With uploads in an object store (a real SeaweedFS), an image is stored
// and served as from the folder, ranges included, and the file and its row
// land together or not at all: when the store fails, and when the commit
// fails after the store took the file.
func TestUploadsInAnObjectStore(t *testing.T) {
	server := seaweed.ForTest(t)
	bucket, err := storage.NewBucket(server.S3)
	if err != nil {
		t.Fatal(err)
	}
	store := &namesPut{Store: bucket}
	db := dbtest.New(t, dbtest.Seeded)
	e := routerWith(db, func(d *handlers.Deps) { d.Uploads = store })
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.96")

	data := pngBytes(t, 300, 200)
	if rec := editor.do(editor.upload("园区.png", data, editor.csrf())); rec.Code != http.StatusCreated {
		t.Fatalf("upload = %d\n%s", rec.Code, rec.Body.String())
	}
	var u models.Upload
	db.Take(&u)
	served := get(t, e, http.MethodGet, "/uploads/"+u.Name)
	if served.Code != http.StatusOK || served.Header().Get("Content-Type") != "image/png" || !bytes.Equal(served.Body.Bytes(), data) ||
		!strings.Contains(served.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("served: %d %v (%d bytes)", served.Code, served.Header(), served.Body.Len())
	}
	req := httptest.NewRequest(http.MethodGet, "/uploads/"+u.Name, nil)
	req.Header.Set("Range", "bytes=10-19")
	part := httptest.NewRecorder()
	e.ServeHTTP(part, req)
	if part.Code != http.StatusPartialContent || !bytes.Equal(part.Body.Bytes(), data[10:20]) {
		t.Errorf("range: %d %q", part.Code, part.Body.Bytes())
	}

	// The commit fails after the store took the file: the file goes too.
	dbtest.MustExec(t, db, `CREATE FUNCTION refuse_upload() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused at commit'; END $$`)
	dbtest.MustExec(t, db, `CREATE CONSTRAINT TRIGGER refuse_upload AFTER INSERT ON uploads
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.original_name = 'refused.png') EXECUTE FUNCTION refuse_upload()`)
	if rec := editor.do(editor.upload("refused.png", data, editor.csrf())); rec.Code < 500 {
		t.Fatalf("upload refused at commit = %d", rec.Code)
	}
	if n := countRows(t, db, "uploads"); n != 1 {
		t.Errorf("%d upload rows after a failed commit, want 1", n)
	}
	refused := store.names[len(store.names)-1]
	if _, err := bucket.Open(context.Background(), refused); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the file of the upload refused at commit is still stored: %v", err)
	}

	// The store fails: no row, a clear answer, and what was stored is still served.
	server.Stop()
	rec := editor.do(editor.upload("later.png", data, editor.csrf()))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("upload with the store down = %d, want 503", rec.Code)
	}
	if n := countRows(t, db, "uploads"); n != 1 {
		t.Errorf("%d upload rows after the store failed, want 1", n)
	}
}
