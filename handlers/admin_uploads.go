package handlers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registers the decoders DecodeConfig needs
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	_ "golang.org/x/image/webp"

	"investportal/models"
	"investportal/models/storage"
	"investportal/views"
	"investportal/views/i18n"
)

// Uploads: images only, checked by their bytes rather than by their name
// or the browser's word, within size and pixel limits, stored under a
// random name and served with the checked type and a sandboxing policy.
const (
	maxUploadBytes  = 5 << 20
	uploadBodyLimit = "6M"       // the file plus the form around it
	maxUploadPixels = 20_000_000 // and within maxDecodeMemory
	maxUploadSide   = 8_000
)

// uploadTypes are the accepted image types and their file extensions. SVG
// is not among them: it can carry scripts.
var uploadTypes = map[string]string{"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}

var uploadNamePattern = regexp.MustCompile(`^[0-9a-f]{32}\.(png|jpg|gif|webp)$`)

// AdminUploads lists the uploaded images with the Markdown to use them.
func (h *Handler) AdminUploads(c echo.Context) error {
	return h.renderUploads(c, http.StatusOK, "", "")
}

func (h *Handler) renderUploads(c echo.Context, status int, message, notice string) error {
	cx := ctx(c)
	q := newQueryReader(c)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	list, total, err := models.ListUploads(cx, h.db, adminListSize, int(page-1)*adminListSize)
	if err != nil {
		return err
	}
	pager, err := newPagerOf(c, adminPrefix+"/uploads", page, total, adminListSize)
	if err != nil {
		return err
	}
	v := views.AdminUploadsView{Page: h.adminPage(c, i18n.T(cx, "admin.uploads.title")), Nav: h.adminNav(c),
		Error: message, Notice: notice, Total: total, Pager: pager, MaxMB: maxUploadBytes >> 20}
	for _, u := range list {
		v.Uploads = append(v.Uploads, views.AdminUploadRow{Path: "/uploads/" + u.Name, Name: u.OriginalName,
			Markdown: uploadMarkdown(u.OriginalName, u.Name),
			Size:     fmt.Sprintf("%d × %d · %d KB", u.Width, u.Height, (u.SizeBytes+1023)/1024), Uploaded: views.DateTime(cx, u.CreatedAt)})
	}
	return render(c, status, views.AdminUploads(v))
}

// uploadMarkdown is the Markdown that shows an upload, described by its
// original file name, cleaned so it cannot break out of ![…].
func uploadMarkdown(original, name string) string {
	alt := strings.TrimSuffix(original, filepath.Ext(original))
	alt = strings.NewReplacer("[", "", "]", "", "\n", " ", "\\", "").Replace(alt)
	return fmt.Sprintf("![%s](/uploads/%s)", alt, name)
}

// AdminUpload checks and stores an uploaded image.
func (h *Handler) AdminUpload(c echo.Context) error {
	cx := ctx(c)
	if h.uploads == nil {
		return &userError{status: http.StatusServiceUnavailable, message: i18n.T(cx, "admin.uploads.unavailable")}
	}
	refuse := func(id string) error {
		return h.renderUploads(c, http.StatusUnprocessableEntity, i18n.T(cx, id, map[string]any{"MaxMB": maxUploadBytes >> 20}), "")
	}
	header, err := c.FormFile("file")
	if err != nil {
		return refuse("admin.uploads.missing")
	}
	if header.Size > maxUploadBytes {
		return refuse("admin.uploads.too_large")
	}
	file, err := header.Open()
	if err != nil {
		return err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxUploadBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxUploadBytes {
		return refuse("admin.uploads.too_large")
	}
	if len(data) == 0 {
		return refuse("admin.uploads.missing")
	}
	contentType := http.DetectContentType(data)
	ext, ok := uploadTypes[contentType]
	if !ok {
		return refuse("admin.uploads.type")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || uploadTypes["image/"+format] != ext { // the bytes must decode as the type they claim
		return refuse("admin.uploads.type")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxUploadSide || cfg.Height > maxUploadSide || cfg.Width*cfg.Height > maxUploadPixels {
		return refuse("admin.uploads.pixels")
	}
	if decodeMemory(data, format, cfg) > maxDecodeMemory {
		return refuse("admin.uploads.memory")
	}
	// Decode it whole, within the limits just checked: a file cut short or
	// corrupt after a valid header is refused rather than served broken.
	select {
	case decodeSlots <- struct{}{}:
	case <-c.Request().Context().Done():
		return echo.NewHTTPError(http.StatusServiceUnavailable).SetInternal(c.Request().Context().Err())
	}
	if err := decodeInSlot(data); err != nil {
		return refuse("admin.uploads.type")
	}
	original := filepath.Base(strings.ReplaceAll(header.Filename, "\\", "/"))
	if !utf8.ValidString(original) || hasControl(original, false) {
		original = ""
	}
	if utf8.RuneCountInString(original) > 255 {
		original = string([]rune(original)[:255])
	}
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		return err
	}
	name := hex.EncodeToString(random) + "." + ext
	_, err = models.CreateUpload(cx, h.db, h.uploads, models.Upload{Name: name, OriginalName: original, ContentType: contentType,
		SizeBytes: len(data), Width: cfg.Width, Height: cfg.Height}, data, actor(c))
	if err != nil {
		return err
	}
	return h.renderUploads(c, http.StatusCreated, "", i18n.T(cx, "admin.uploads.done", map[string]any{"Markdown": uploadMarkdown(original, name)}))
}

// ServeUpload serves an uploaded image to anyone: with the type checked at
// upload, no sniffing, a policy that runs nothing even if opened directly,
// and a year's caching (names are random and never reused).
func (h *Handler) ServeUpload(c echo.Context) error {
	name := c.Param("name")
	if !uploadNamePattern.MatchString(name) || h.uploads == nil {
		return echo.ErrNotFound
	}
	u, err := models.UploadByName(ctx(c), h.db, name)
	if errors.Is(err, models.ErrNotFound) {
		return echo.ErrNotFound
	} else if err != nil {
		return err
	}
	// The file is streamed as fast as the visitor takes it, within the
	// server's write timeout rather than the request's deadline (which is
	// for waiting on the database): a slow phone may take long for 5 MB.
	streaming, cancel := context.WithTimeout(context.WithoutCancel(ctx(c)), WriteTimeout)
	defer cancel()
	file, err := h.uploads.Open(streaming, name)
	if errors.Is(err, storage.ErrNotFound) {
		return echo.ErrNotFound
	} else if err != nil {
		return err
	}
	defer file.Close()
	hd := c.Response().Header()
	hd.Set("Content-Type", u.ContentType)
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("Content-Disposition", "inline")
	http.ServeContent(c.Response(), c.Request(), "", u.CreatedAt, file)
	return nil
}
