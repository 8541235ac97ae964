package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"investportal/models"
	"investportal/models/dbtest"
)

// Editors keep a chain's links in the admin; the chain's page draws them
// with a list that says the same, and a gap leads to the matcher and a
// pre-filled inquiry.
func TestChainMapKeptByEditorsAndShown(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.90")
	anon := newVisitor(t, e, "192.0.2.91")
	const page = "/chains/chifeng-electronics"

	// The seed's articles name no links: nothing is drawn, nothing invented.
	if doc := parse(t, anon.get(page)); doc.Find(`[data-testid="chain-map"]`).Length() != 0 {
		t.Fatalf("a chain without links shows a map")
	}

	var chainID int64
	if err := db.Raw("SELECT id FROM industry_chains WHERE slug = 'chifeng-electronics'").Scan(&chainID).Error; err != nil || chainID == 0 {
		t.Fatal(err)
	}
	path := "/admin/chains/" + strconv.FormatInt(chainID, 10)
	form := editor.openContentForm(path)
	set := func(i int, stage, name, presence, local, sought string) {
		p := "chain_links." + strconv.Itoa(i) + "."
		form.Set(p+"stage", stage)
		form.Set(p+"name", name)
		form.Set(p+"presence", presence)
		form.Set(p+"local_players", local)
		form.Set(p+"sought", sought)
	}
	form.Set("chain_links.rows", "3")
	set(0, "upstream", "电子元器件", "weak", "", "")
	set(1, "midstream", "智能终端制造", "present", "中荣泰电子产业园", "")
	set(2, "downstream", "柔性屏总成", "gap", "", "")

	// A gap must say what the region wants; nothing is stored half-way.
	rec := editor.post(path, form)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "缺失的环节须写明招商需求") {
		t.Fatalf("a gap without what is sought = %d", rec.Code)
	}
	if n := countRows(t, db, "chain_links"); n != 0 {
		t.Fatalf("%d links stored from a refused form", n)
	}
	form.Set("chain_links.2.sought", "<script>alert(1)</script>柔性屏模组封装企业")
	form.Set("chain_links.0.name", strings.Repeat("元", 101))
	if rec := editor.post(path, form); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a 101-character link name = %d", rec.Code)
	}
	form.Set("chain_links.0.name", "电子元器件")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", rec.Code, rec.Body.String())
	}

	// The next public request shows them (the page cache follows the edit).
	rec = anon.get(page)
	doc := parse(t, rec)
	diagram := doc.Find(`[data-testid="chain-diagram"]`)
	if diagram.AttrOr("aria-hidden", "") != "true" || diagram.Find(".chain-stage").Length() != 3 {
		t.Fatalf("diagram: %q", diagram.Text())
	}
	if strings.Contains(rec.Body.String(), "<script>alert(1)") {
		t.Fatal("a script typed by an editor is served")
	}
	for stage, want := range map[string]string{"upstream": "电子元器件本地薄弱", "midstream": "智能终端制造本地已有", "downstream": "柔性屏总成缺失,正在招商"} {
		got := strings.Join(strings.Fields(doc.Find(`[data-testid="chain-links-`+stage+`"] .chain-link-name`).Text()), "")
		if got != want {
			t.Errorf("%s list = %q, want %q", stage, got, want)
		}
	}
	gap := doc.Find(`[data-testid="chain-links-downstream"] [data-testid="chain-link"]`)
	if !strings.Contains(gap.Text(), "柔性屏模组封装企业") {
		t.Errorf("the gap does not say what is sought: %q", gap.Text())
	}
	if m := gap.Find(`a[data-testid="gap-match"]`).AttrOr("href", ""); m != "/match?chain=chifeng-electronics&region=chifeng" {
		t.Errorf("gap's matcher link = %q", m)
	}
	if doc.Find(`[data-testid="chain-links-midstream"] a[data-testid="gap-inquiry"]`).Length() != 0 {
		t.Errorf("a present link is offered as a gap")
	}
	inquiryPath := gap.Find(`a[data-testid="gap-inquiry"]`).AttrOr("href", "")
	form2, formDoc := anon.openForm(inquiryPath)
	if form2.Get("chain") != "chifeng-electronics" || form2.Get("region") != "chifeng" {
		t.Errorf("inquiry from a gap: %v", form2)
	}
	if msg := formDoc.Find(`textarea[name="message"]`).Text(); !strings.Contains(msg, "柔性屏总成") {
		t.Errorf("inquiry message does not name the link: %q", msg)
	}
	// A link that is not a gap, or not a link of a public chain, pre-fills nothing.
	var present int64
	db.Raw("SELECT id FROM chain_links WHERE presence = 'present'").Scan(&present)
	for _, bad := range []string{strconv.FormatInt(present, 10), "999999", "-1", "abc", "1%20OR%201=1"} {
		f, d := anon.openForm("/inquiries/new?link=" + bad)
		if f.Get("chain") != "" || d.Find(`textarea[name="message"]`).Text() != "" {
			t.Errorf("link=%s pre-filled %v", bad, f)
		}
	}

	// In English, the stages and states are English.
	en := parse(t, anon.get("/en"+page))
	if !strings.Contains(en.Find(`[data-testid="chain-map"] h2`).Text(), "Chain map") ||
		!strings.Contains(en.Find(`[data-testid="chain-links-downstream"]`).Text(), "Gap: investment sought") {
		t.Errorf("English chain map: %q", en.Find(`[data-testid="chain-map"]`).Text())
	}

	// Removing the links removes the map at the next request.
	form = editor.openContentForm(path)
	if form.Get("chain_links.2.sought") == "" {
		t.Fatalf("the admin does not show the stored links: %v", form)
	}
	form.Set("chain_links.rows", "0")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save without links = %d", rec.Code)
	}
	if doc := parse(t, anon.get(page)); doc.Find(`[data-testid="chain-map"]`).Length() != 0 {
		t.Errorf("the map outlives its links")
	}
}
