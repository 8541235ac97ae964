package handlers_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
	"investportal/views/i18n"
)

// gradient is a w × h image of smooth colours in 16 bits a channel, opaque
// or with an alpha gradient.
func gradient(w, h int, opaque bool) *image.NRGBA64 {
	img := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint16(0xffff)
			if !opaque {
				a = uint16(0x4000 + 0xbfff*y/h)
			}
			img.SetNRGBA64(x, y, color.NRGBA64{uint16(0xffff * x / w), uint16(0xffff * y / h), 0x8123, a})
		}
	}
	return img
}

// rgb8 is img in 8 bits a channel, which PNG writes as 8-bit RGB.
func rgb8(img image.Image) *image.RGBA {
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Rect, img, image.Point{}, draw.Src)
	return out
}

func encoded(t *testing.T, encode func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// allocatedByDecode is the least that TotalAlloc grew by over five full
// decodes of data: at least what one decode allocates, since TotalAlloc
// only grows and counts whatever else ran meanwhile too. It also returns
// the decoded image's type.
func allocatedByDecode(t *testing.T, data []byte) (int64, string) {
	t.Helper()
	least, kind := int64(-1), ""
	for range 5 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		img, _, err := image.Decode(bytes.NewReader(data))
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if n := int64(after.TotalAlloc - before.TotalAlloc); least < 0 || n < least {
			least = n
		}
		kind = fmt.Sprintf("%T", img)
	}
	return least, kind
}

// TestDecodeMemoryCoversTheDecoders decodes a megapixel or so of each
// costly kind, and ordinary ones, and holds the estimate to what the
// decoder really allocated: never less, and at most three times as much.
func TestDecodeMemoryCoversTheDecoders(t *testing.T) {
	const w, h = 1200, 1000
	paletted := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	cases := []struct {
		name, decoded string
		data          []byte
	}{
		{"8-bit RGB PNG", "*image.RGBA", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, rgb8(gradient(w, h, true))) })},
		{"16-bit RGBA PNG", "*image.NRGBA64", encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, gradient(w, h, false)) })},
		{"interlaced 16-bit RGBA PNG", "*image.NRGBA64", fixture(t, "png16-interlaced.png")},
		{"baseline 4:2:0 JPEG", "*image.YCbCr", encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, gradient(w, h, true), nil) })},
		{"progressive 4:2:0 JPEG", "*image.YCbCr", fixture(t, "progressive-420.jpg")},
		{"progressive 4:4:4 JPEG", "*image.YCbCr", fixture(t, "progressive-444.jpg")},
		{"progressive grey JPEG", "*image.Gray", fixture(t, "progressive-gray.jpg")},
		{"baseline RGB JPEG", "*image.RGBA", fixture(t, "baseline-rgb.jpg")},
		{"baseline CMYK JPEG", "*image.CMYK", fixture(t, "baseline-cmyk.jpg")},
		{"progressive CMYK JPEG", "*image.CMYK", fixture(t, "progressive-cmyk.jpg")},
		{"lossless WebP", "*image.NRGBA", fixture(t, "lossless.webp")},
		{"lossless WebP, 16 colours", "*image.NRGBA", fixture(t, "lossless-palette.webp")},
		{"lossy WebP", "*image.YCbCr", fixture(t, "lossy.webp")},
		{"lossy WebP with alpha", "*image.NYCbCrA", fixture(t, "lossy-alpha.webp")},
		{"GIF", "*image.Paletted", encoded(t, func(b *bytes.Buffer) error { return gif.Encode(b, paletted, nil) })},
	}
	for _, tc := range cases {
		cfg, format, err := image.DecodeConfig(bytes.NewReader(tc.data))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		estimate := handlers.DecodeMemory(tc.data, format, cfg)
		measured, decoded := allocatedByDecode(t, tc.data)
		if decoded != tc.decoded {
			t.Errorf("%s decodes to %s, want %s", tc.name, decoded, tc.decoded)
		}
		t.Logf("%-27s %4d × %4d  %7d bytes  measured %6.2f MB  estimated %6.2f MB  (%.2f×)", tc.name, cfg.Width, cfg.Height,
			len(tc.data), float64(measured)/1e6, float64(estimate)/1e6, float64(estimate)/float64(measured))
		if measured > estimate {
			t.Errorf("%s: decoding allocated %d bytes, more than the %d estimated", tc.name, measured, estimate)
		}
		if estimate > 3*measured {
			t.Errorf("%s: estimated %d bytes, over three times the %d allocated", tc.name, estimate, measured)
		}
	}
}

// png16Claiming is pngClaiming with a header that says 16-bit RGBA.
func png16Claiming(t *testing.T, w, h uint32) []byte {
	data := pngClaiming(t, w, h)
	data[8+8+8], data[8+8+9] = 16, 6 // bit depth, colour type
	binary.BigEndian.PutUint32(data[8+8+13:], crc32.ChecksumIEEE(data[8+4:8+8+13]))
	return data
}

// jpegClaiming is a JPEG fixture whose frame header claims other dimensions.
func jpegClaiming(t *testing.T, name string, w, h uint16) []byte {
	data := fixture(t, name)
	i := bytes.Index(data, []byte{0xff, 0xc2, 0x00, 0x11}) // SOF2 of three components
	if i < 0 {
		t.Fatalf("%s has no progressive frame header", name)
	}
	binary.BigEndian.PutUint16(data[i+5:], h)
	binary.BigEndian.PutUint16(data[i+7:], w)
	return data
}

func TestUploadNeedingTooMuchMemoryIsRefused(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.96")
	memory := i18n.T(i18n.WithLang(context.Background(), i18n.Hans), "admin.uploads.memory")
	stored := func() int {
		entries, err := os.ReadDir(uploadDir)
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	files := stored()

	// Within 8 000 px a side and 20 megapixels, but 8 and 7.5 bytes a pixel.
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"deep.png", png16Claiming(t, 5000, 4000)},
		{"progressive.jpg", jpegClaiming(t, "progressive-420.jpg", 5000, 4000)},
	} {
		rec := editor.do(editor.upload(tc.name, tc.data, editor.csrf()))
		if msg := strings.TrimSpace(parse(t, rec).Find(`[data-testid="upload-error"]`).Text()); rec.Code != http.StatusUnprocessableEntity || msg != memory {
			t.Errorf("%s = %d %q, want %d %q", tc.name, rec.Code, msg, http.StatusUnprocessableEntity, memory)
		}
	}
	// An 8-bit PNG of the same size fits the budget; it is refused only
	// when the full decode finds it cut short.
	rec := editor.do(editor.upload("cut.png", pngClaiming(t, 5000, 4000), editor.csrf()))
	if msg := strings.TrimSpace(parse(t, rec).Find(`[data-testid="upload-error"]`).Text()); rec.Code != http.StatusUnprocessableEntity || msg == "" || msg == memory {
		t.Errorf("8-bit PNG claiming 5000 × 4000 = %d %q, want 422 but not for memory", rec.Code, msg)
	}
	if n := countRows(t, db, "uploads"); n != 0 {
		t.Errorf("refused uploads stored %d rows", n)
	}
	if n := stored(); n != files {
		t.Errorf("refused uploads left %d files, want %d", n, files)
	}
}
