package handlers

// Checking an upload decodes it whole, and a decoder may need far more than
// 4 bytes a pixel: 16-bit and interlaced PNGs, progressive and CMYK JPEGs,
// lossless WebP. decodeMemory reads what the file's headers say and
// estimates what its decode will allocate; an upload over the budget is
// refused before it is decoded, and at most two decodes run at once.

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"math"
)

// maxDecodeMemory is the most one full decode may allocate, as decodeMemory
// estimates it. 128 MiB admits at the full 20 megapixels an 8-bit PNG that
// is not interlaced (80 MB), a baseline YCbCr JPEG (30 to 60 MB) and a
// lossy WebP without alpha (about 35 MB), and a progressive 4:2:0 JPEG
// (7.5 bytes a pixel) up to 17 megapixels, more than a phone's photo. With
// at most two decodes at once (decodeSlots) checking uploads holds at most
// 256 MiB, which a small server can spare.
const maxDecodeMemory = 128 << 20

// decodeSlots lets at most two full decodes run at once, so parallel
// uploads cannot multiply maxDecodeMemory.
var decodeSlots = make(chan struct{}, 2)

// decodeInSlot decodes data whole, then frees the decode slot its caller
// took, even if the decoder panics.
func decodeInSlot(data []byte) error {
	defer func() { <-decodeSlots }()
	_, _, err := image.Decode(bytes.NewReader(data))
	return err
}

// vp8lTables is what decodeMemory allows for the Huffman tables of a VP8L
// (lossless WebP) stream, which no header shows. Files from libwebp need
// well under 1 MiB. A crafted file can make x/image/vp8l hold up to 2 600
// groups of tables, about 137 MB, more than its pixels show: decodeSlots
// at least keeps that to two at a time.
const vp8lTables = 1 << 20

// decodeMemory estimates from its headers how many bytes image.Decode
// allocates in all to decode data, an image whose image.DecodeConfig gave
// format and cfg; the sum bounds the peak. It follows the decoders of the
// standard library and of golang.org/x/image/webp. A header it cannot read
// is taken for the dearest kind of its format.
func decodeMemory(data []byte, format string, cfg image.Config) int64 {
	w, h := int64(cfg.Width), int64(cfg.Height)
	px := w * h
	const state = 256 << 10 // decoder state, Huffman and zlib tables, read buffers
	switch format {
	case "png":
		// The image in its colour model, 1 to 8 bytes a pixel, and two rows
		// of filtered bytes. An interlaced image is first decoded into seven
		// pass images that hold every pixel once more, with two rows each.
		depth, colorType, interlaced, transparent := pngHeader(data)
		bpp := int64(4) // RGBA or NRGBA, also for grey with a tRNS colour
		if colorType == 3 || colorType == 0 && !transparent {
			bpp = 1 // Paletted or Gray
		}
		if depth == 16 {
			bpp *= 2 // RGBA64, NRGBA64 or Gray16
		}
		if interlaced {
			return state + 2*px*bpp + 7*2*(w*bpp+1)
		}
		return state + px*bpp + 2*(w*bpp+1)
	case "jpeg":
		// A byte a sample for each component over whole MCUs; a progressive
		// image also keeps the 64 int32 coefficients of every 8×8 block, 4
		// bytes a sample; CMYK, YCbCrK and RGB are then converted into a new
		// image of 4 bytes a pixel.
		progressive, comps := jpegFrame(data)
		hMax, vMax := int64(1), int64(1)
		for _, c := range comps {
			hMax, vMax = max(hMax, int64(c[0])), max(vMax, int64(c[1]))
		}
		mcus := (w + 8*hMax - 1) / (8 * hMax) * ((h + 8*vMax - 1) / (8 * vMax))
		var samples int64
		for _, c := range comps {
			samples += mcus * 64 * int64(c[0]*c[1])
		}
		n := samples
		if progressive {
			n += 4 * samples
		}
		if len(comps) == 4 || cfg.ColorModel == color.RGBAModel {
			n += 4 * px
		}
		return state + n
	case "webp":
		// VP8L (lossless, and the alpha of a lossy image) decodes into 4
		// bytes a pixel; a colour-indexing transform first decodes a packed
		// image of up to half the width, then unpacks it into a new one.
		// The predictor, cross-colour and Huffman-group sub-images take 4
		// bytes per 4×4 tile at most, besides the Huffman tables.
		lossy, alpha := webpImage(data)
		tiles := (w + 3) / 4 * ((h + 3) / 4)
		lossless := 4*px + 4*((w+1)/2)*h + 3*4*tiles + vp8lTables
		if !lossy {
			return state + lossless
		}
		// VP8 (lossy): Y, Cb and Cr at 4:2:0 over whole 16×16 macroblocks
		// (384 bytes each) with their filter state, and a copy of the
		// compressed data; an alpha plane, decoded from its own VP8L stream.
		n := 400*((w+15)/16)*((h+15)/16) + int64(len(data))
		if alpha {
			n += px + lossless
		}
		return state + n
	case "gif":
		// The first frame's palette indices, a byte a pixel of the screen
		// at most, copied once more if the frame is interlaced.
		return state + 2*px
	}
	return math.MaxInt64
}

// pngHeader reads the bit depth, colour type and interlace method from
// the IHDR chunk and whether a tRNS chunk comes before the image data
// (grey then decodes to NRGBA). An unreadable header reads as 16-bit
// RGBA, interlaced.
func pngHeader(data []byte) (depth, colorType byte, interlaced, transparent bool) {
	// The signature, then chunks: length, type, data and CRC.
	if len(data) < 33 || string(data[12:16]) != "IHDR" {
		return 16, 6, true, true
	}
	ihdr := data[16:29]
	for p := int64(33); p+8 <= int64(len(data)); p += 12 + int64(binary.BigEndian.Uint32(data[p:])) {
		switch string(data[p+4 : p+8]) {
		case "tRNS":
			return ihdr[8], ihdr[9], ihdr[12] == 1, true
		case "IDAT":
			return ihdr[8], ihdr[9], ihdr[12] == 1, false
		}
	}
	return 16, 6, true, true
}

// jpegFrame finds the frame header (SOF0, SOF1 or SOF2) by walking the
// segments before it as image/jpeg does, and returns whether the image is
// progressive and each component's sampling factors. An unreadable header
// reads as progressive with four full components.
func jpegFrame(data []byte) (progressive bool, comps [][2]int) {
	worst := [][2]int{{1, 1}, {1, 1}, {1, 1}, {1, 1}}
	for p := 2; p+1 < len(data); { // after SOI
		if data[p] != 0xff { // stray bytes between segments are skipped
			p++
			continue
		}
		marker := data[p+1]
		for p += 2; marker == 0xff && p < len(data); p++ { // fill bytes
			marker = data[p]
		}
		switch {
		case marker == 0x00 || 0xd0 <= marker && marker <= 0xd7: // escaped 0xff, RSTn: no length
			continue
		case marker == 0xd9 || marker == 0xda || marker == 0xff || p+2 > len(data): // EOI, SOS or the end before a frame
			return true, worst
		}
		n := int(data[p])<<8 | int(data[p+1]) // the length counts itself
		if n < 2 {
			return true, worst
		}
		if 0xc0 <= marker && marker <= 0xc2 {
			// Precision, height, width, number of components, then each
			// component's id, sampling factors (h<<4 | v) and table.
			seg := data[p+2 : min(p+n, len(data))]
			if len(seg) < 6 || seg[5] != 1 && seg[5] != 3 && seg[5] != 4 || len(seg) != 6+3*int(seg[5]) {
				return true, worst
			}
			for i := range int(seg[5]) {
				hv := int(seg[7+3*i])
				if hv>>4 < 1 || hv>>4 > 4 || hv&15 < 1 || hv&15 > 4 {
					return true, worst
				}
				comps = append(comps, [2]int{hv >> 4, hv & 15})
			}
			if len(comps) == 1 {
				comps[0] = [2]int{1, 1} // image/jpeg ignores a lone component's factors
			}
			return marker == 0xc2, comps
		}
		p += n
	}
	return true, worst
}

// webpImage walks the RIFF chunks after the header to the image chunk and
// reports whether it is lossy ("VP8 "; lossless is "VP8L") and whether an
// extended header (VP8X) before it set the alpha flag, which makes a lossy
// image carry an ALPH chunk. An unreadable file reads as lossy with alpha.
func webpImage(data []byte) (lossy, alpha bool) {
	// Chunks: a FourCC, a little-endian length, data padded to even.
	for p := int64(12); p+8 <= int64(len(data)); {
		n := int64(binary.LittleEndian.Uint32(data[p+4:]))
		switch string(data[p : p+4]) {
		case "VP8 ":
			return true, alpha
		case "VP8L":
			return false, false
		case "VP8X":
			alpha = p+9 <= int64(len(data)) && data[p+8]&0x10 != 0
		}
		p += 8 + n + n&1
	}
	return true, true
}
