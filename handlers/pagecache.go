package handlers

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/labstack/echo/v4"
	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"

	"investportal/models"
)

// pageCache keeps rendered public pages in memory, so that a visitor is
// served almost as fast as a static file, and an edit still shows at the
// very next request. Rendering a page records the content tables it read
// (models.RecordingReads), and the page is kept with their versions then
// (models.ContentWatch): it is served only while those tables have those
// versions, until content next changes by itself, and within the watch's
// epoch. So an edit, committed by any instance, ends exactly the pages
// that read what it changed; a scheduled publication falling due ends
// those rendered before it; a lost notification connection ends them all.
//
// Only anonymous GET and HEAD responses of the pages registered with it
// are kept: 200s that set no cookie and did not opt out (no-store,
// private). Pages with a form token are never registered. Signed-in staff
// are never served from it and never fill it.
//
// Every page it serves, kept or not, carries an ETag (the body's hash,
// per content coding) and answers If-None-Match with 304. Cache-Control
// no-cache lets browsers and shared caches keep a copy, but never use it
// without asking: after an edit they get the new page.
type pageCache struct {
	watch       *models.ContentWatch
	entries     *otter.Cache[string, *cachedPage] // nil: nothing kept
	maxEntry    int                               // larger pages are served, not kept
	staffCookie string
	epoch       atomic.Uint64 // the newest epoch seen; older entries are dropped
	zstd        *zstd.Encoder // safe for concurrent EncodeAll
	// hits and misses count anonymous GETs served from memory and
	// rendered, for the tests and the hit rate.
	hits, misses, renders atomic.Uint64
	// rendering lets concurrent misses of one page wait for one render:
	// after an edit, the visitors of a popular page do not all render it.
	rendering singleflight.Group
}

// cachedPage is one rendered page. Only its compressed forms are filled
// in later, each at most once.
type cachedPage struct {
	epoch    uint64
	tables   []string    // the content tables it was read from
	versions []int64     // their versions then
	until    time.Time   // when content next changed by itself
	header   http.Header // what the handler set: Content-Type, Content-Disposition…
	tag      string      // the body's hash: the stem of its ETags
	body     []byte
	gzipOnce sync.Once
	gzip     atomic.Pointer[[]byte]
	zstdOnce sync.Once
	zstd     atomic.Pointer[[]byte]
}

// entryOverhead is what an entry costs beyond its bytes (structs, map
// slot, key), counted against the budget.
const entryOverhead = 512

// minCompressed: smaller bodies are sent as they are.
const minCompressed = 1024

func newPageCache(watch *models.ContentWatch, budget int64, staffCookie string) *pageCache {
	// Browsers decode zstd windows up to 8 MB (RFC 9659); a page fits in one.
	encoder, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
		zstd.WithWindowSize(8<<20), zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err) // only for options out of range, which these are not
	}
	p := &pageCache{watch: watch, staffCookie: staffCookie, zstd: encoder}
	if watch == nil || budget <= 0 {
		return p
	}
	p.maxEntry = int(min(budget/16, 8<<20))
	p.entries = otter.Must(&otter.Options[string, *cachedPage]{
		MaximumWeight: uint64(budget),
		Weigher: func(key string, e *cachedPage) uint32 {
			n := entryOverhead + len(key) + len(e.body) + 8*len(e.versions)
			for _, t := range e.tables {
				n += len(t)
			}
			for k, vs := range e.header {
				n += len(k)
				for _, v := range vs {
					n += len(v)
				}
			}
			if b := e.gzip.Load(); b != nil {
				n += len(*b)
			}
			if b := e.zstd.Load(); b != nil {
				n += len(*b)
			}
			return uint32(min(n, 1<<31)) // #nosec G115 -- bounded just above
		},
	})
	return p
}

// serve is the middleware of a cacheable page.
func (p *pageCache) serve(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if p.forStaff(req) {
			// Signed-in staff always see the database as it is now, and
			// what they get is theirs alone.
			c.Response().Header().Set(echo.HeaderCacheControl, "private, no-cache")
			return next(c)
		}
		state := p.watch.State()
		key := req.URL.Path + "?" + req.URL.RawQuery
		if p.entries != nil {
			p.dropOlderThan(state.Epoch)
			if e, ok := p.entries.GetIfPresent(key); ok && p.current(e, state) {
				p.hits.Add(1)
				return p.write(c, key, e)
			}
		}
		p.misses.Add(1)
		if req.Method == http.MethodHead {
			return next(c) // nothing to keep: the body is not rendered
		}
		if p.entries == nil || !state.Current {
			return p.renderAndKeep(c, next, key, state)
		}
		// One render for the visitors who ask at once, knowing the same of
		// the content (a visitor who comes after a change is heard renders
		// anew); the page is theirs too (all anonymous, one address). If it
		// may not be kept, or the render failed, each renders their own.
		mine := false
		v, err, _ := p.rendering.Do(key+"\x00"+strconv.FormatUint(state.Seq, 10), func() (any, error) {
			mine = true
			page, err := p.renderKeepable(c, next, key, state)
			return page, err
		})
		page, _ := v.(*cachedPage)
		switch {
		case mine && (err != nil || page == nil):
			return err // written already, or the error handler's to write
		case page != nil && err == nil:
			return p.write(c, key, page)
		}
		return p.renderAndKeep(c, next, key, state)
	}
}

// forStaff tells a request from a signed-in member of staff (or one whose
// session has ended but whose cookie is still sent).
func (p *pageCache) forStaff(req *http.Request) bool {
	_, err := req.Cookie(p.staffCookie)
	return err == nil
}

// renderAndKeep renders a page and keeps it if it may be kept.
func (p *pageCache) renderAndKeep(c echo.Context, next echo.HandlerFunc, key string, state models.ContentState) error {
	e, err := p.renderKeepable(c, next, key, state)
	if err != nil || e == nil {
		return err
	}
	return p.write(c, key, e)
}

// renderKeepable renders a page and, if it may be kept, keeps it under the
// versions known before it was rendered: a change committed meanwhile,
// once heard, ends it. A response that may not be kept is written at once
// (nil page).
func (p *pageCache) renderKeepable(c echo.Context, next echo.HandlerFunc, key string, state models.ContentState) (*cachedPage, error) {
	e, err := p.render(c, next)
	if err != nil || e == nil {
		return nil, err
	}
	all, _ := state.Version()
	if versions, ok := state.VersionsOf(e.tables); ok && p.entries != nil && len(e.body) <= p.maxEntry && p.watch.State().Epoch == state.Epoch &&
		models.MayKeep(c.Request().Context(), all) {
		e.epoch, e.versions, e.until = state.Epoch, versions, state.Until()
		p.entries.Set(key, e)
	}
	return e, nil
}

// current reports whether a kept page may be served now.
func (p *pageCache) current(e *cachedPage, state models.ContentState) bool {
	return e.epoch == state.Epoch && time.Now().Before(e.until) && state.Unchanged(e.tables, e.versions)
}

// dropOlderThan empties the cache the first time a newer epoch is seen:
// nothing kept before it can be served again.
func (p *pageCache) dropOlderThan(epoch uint64) {
	for {
		seen := p.epoch.Load()
		if epoch <= seen {
			return
		}
		if p.epoch.CompareAndSwap(seen, epoch) {
			p.entries.InvalidateAll()
			return
		}
	}
}

// render runs the handler into a buffer, noting the tables it reads. A
// response that may be kept comes back as a page for write; any other is
// sent as it is (nil page).
func (p *pageCache) render(c echo.Context, next echo.HandlerFunc) (*cachedPage, error) {
	p.renders.Add(1)
	res := c.Response()
	before := res.Header().Clone()
	rec := &pageRecorder{ResponseWriter: res.Writer}
	res.Writer = rec
	// Put back before anything else writes, a panic's 500 page included.
	// Nothing has reached the client: the error handler, or write, sends
	// the response afresh.
	defer func() { res.Writer = rec.ResponseWriter }()
	restore := func() {
		res.Writer = rec.ResponseWriter
		res.Committed, res.Size = false, 0
	}
	defer func() {
		if r := recover(); r != nil {
			restore()
			panic(r)
		}
	}()
	reading, tables := models.RecordingReads(ctx(c))
	c.SetRequest(c.Request().WithContext(reading))
	err := next(c)
	restore()
	if err != nil {
		return nil, err
	}
	header := res.Header()
	if rec.status != http.StatusOK || header.Get(echo.HeaderSetCookie) != "" || optsOut(header.Get(echo.HeaderCacheControl)) {
		res.WriteHeader(max(rec.status, http.StatusOK))
		_, err := res.Write(rec.body.Bytes())
		return nil, err
	}
	e := &cachedPage{tables: tables(), header: http.Header{}, body: bytes.Clone(rec.body.Bytes())}
	e.tag = strconv.FormatUint(xxhash.Sum64(e.body), 36)
	for k, vs := range header {
		if k != echo.HeaderContentLength && !slices.Equal(before[k], vs) {
			e.header[k] = slices.Clip(slices.Clone(vs))
		}
	}
	return e, nil
}

func optsOut(cacheControl string) bool {
	return strings.Contains(cacheControl, "no-store") || strings.Contains(cacheControl, "private")
}

// write sends a page in the coding the client prefers, or 304 when the
// client's copy is that page.
func (p *pageCache) write(c echo.Context, key string, e *cachedPage) error {
	res := c.Response()
	h := res.Header()
	for k, vs := range e.header {
		h[k] = vs
	}
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	coding := ""
	if len(e.body) >= minCompressed {
		coding = preferredCoding(c.Request().Header.Get(echo.HeaderAcceptEncoding))
	}
	etag := `"` + e.tag + `"`
	if coding != "" {
		etag = `"` + e.tag + "-" + coding + `"`
	}
	h.Set("ETag", etag)
	if matchesTag(c.Request().Header.Get("If-None-Match"), etag) {
		h.Del(echo.HeaderContentType)
		res.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := e.body
	if coding != "" {
		body = p.encoded(key, e, coding)
		h.Set(echo.HeaderContentEncoding, coding)
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	res.WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	_, err := res.Write(body)
	return err
}

// encoded is the page's body in a content coding, compressed the first
// time it is asked for and then kept with the page (and weighed again).
func (p *pageCache) encoded(key string, e *cachedPage, coding string) []byte {
	once, slot, compress := &e.gzipOnce, &e.gzip, gzipBytes
	if coding == "zstd" {
		once, slot, compress = &e.zstdOnce, &e.zstd, p.zstdBytes
	}
	once.Do(func() {
		b := compress(e.body)
		slot.Store(&b)
		if p.entries != nil {
			p.entries.ComputeIfPresent(key, func(old *cachedPage) (*cachedPage, otter.ComputeOp) {
				if old != e {
					return old, otter.CancelOp
				}
				return e, otter.WriteOp // weighed again with its new coding
			})
		}
	})
	return *slot.Load()
}

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

func gzipBytes(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(&buf)
	_, _ = w.Write(body) // writes to memory do not fail
	_ = w.Close()
	return slices.Clip(buf.Bytes())
}

func (p *pageCache) zstdBytes(body []byte) []byte {
	return slices.Clip(p.zstd.EncodeAll(body, make([]byte, 0, len(body)/4)))
}

// preferredCoding picks zstd or gzip from an Accept-Encoding header (RFC
// 9110 12.5.3): the one with the higher quality (zstd on a tie), a coding
// named with q=0 never, and "*" for one not named; or none.
func preferredCoding(accept string) string {
	quality := map[string]float64{}
	for part := range strings.SplitSeq(accept, ",") {
		params := strings.Split(part, ";")
		name := strings.ToLower(strings.TrimSpace(params[0]))
		q := 1.0
		for _, p := range params[1:] {
			if v, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(p)), "q="); ok {
				var err error
				if q, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
					q = 0
				}
			}
		}
		quality[name] = q
	}
	best, bestQ := "", 0.0
	for _, coding := range []string{"zstd", "gzip"} {
		q, named := quality[coding]
		if !named {
			q = quality["*"] // 0 when absent too
		}
		if q > bestQ {
			best, bestQ = coding, q
		}
	}
	return best
}

// matchesTag tells whether an If-None-Match header names the
// representation about to be sent (weak comparison, as RFC 9110 asks for
// this header: W/ aside, the tags are equal).
func matchesTag(ifNoneMatch, etag string) bool {
	for tag := range strings.SplitSeq(ifNoneMatch, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// pageRecorder keeps what a handler writes, so that it can be hashed,
// kept and sent whole. Headers go straight to the real response.
type pageRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *pageRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *pageRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
