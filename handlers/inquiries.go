package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/outbox"
	"investportal/views"
	"investportal/views/i18n"
)

// InquirySettings are the inquiry desk's rules.
type InquirySettings struct {
	TeamEmail     string           // where new inquiries are announced
	RetentionDays int              // personal data of closed inquiries is removed after this
	Desk          models.DeskRules // when responses are due and inquiries dormant; zero: the defaults
	WakeOutbox    func()           // tells the mail worker there is something to send; may be nil
}

// Rate limits on stored inquiries, counted in the database so that every
// portal instance sees the same numbers.
const (
	inquiryWindow      = time.Hour
	inquiriesPerClient = 5
	inquiriesPerEmail  = 3
)

// inquiryFormPath is the inquiry form pre-filled with a page's subject.
func inquiryFormPath(kind, slug string) string { return "/inquiries/new?" + kind + "=" + slug }

// NewInquiry shows the inquiry form, pre-filled with the region, industry,
// park, policy or project the visitor came from.
func (h *Handler) NewInquiry(c echo.Context) error {
	cx := ctx(c)
	r := newQueryReader(c)
	form := inquiryForm{Language: string(i18n.FromContext(cx)), SubmissionKey: newRandomKey()}
	for _, kind := range models.InquirySubjectKinds {
		slug := r.slug(kind)
		subject, ok, err := resolveSlug(r, kind, slug, func(slug string) (models.InquirySubject, error) {
			return models.PublicInquirySubject(cx, h.db, kind, slug)
		})
		if err != nil {
			return err
		}
		if ok {
			form.set(kind, subject.Slug)
			form.setIfEmpty("region", subject.RegionSlug)
			form.setIfEmpty("chain", subject.ChainSlug)
		}
	}
	if err := r.err(); err != nil {
		return err
	}
	if token := c.QueryParam("brief"); briefTokenPattern.MatchString(token) {
		if err := h.prefillFromBrief(c, &form, token); err != nil {
			return err
		}
	}
	if id, err := strconv.ParseInt(c.QueryParam("link"), 10, 64); err == nil && id > 0 {
		if err := h.prefillFromChainLink(c, &form, id); err != nil {
			return err
		}
	}
	privatePage(c)
	return h.renderInquiryForm(c, http.StatusOK, form, nil, "")
}

// prefillFromChainLink fills the form from a gap in an industry chain that
// the region seeks investment for: the chain, its region and a first line
// naming the link. A link that is gone is left out.
func (h *Handler) prefillFromChainLink(c echo.Context, form *inquiryForm, id int64) error {
	cx := ctx(c)
	link, chain, err := models.PublicChainLink(cx, h.db, id)
	if errors.Is(err, models.ErrNotFound) || err == nil && link.Presence != models.LinkGap {
		return nil
	}
	if err != nil {
		return err
	}
	subject, err := models.PublicInquirySubject(cx, h.db, "chain", chain.Slug)
	if err != nil {
		return err
	}
	form.Chain, form.Region = subject.Slug, subject.RegionSlug
	chainName, _ := i18n.Content(cx, chain.Name, chain.NameEn)
	linkName, _ := i18n.Content(cx, link.Name, link.NameEn)
	form.Message = i18n.T(cx, "chainmap.inquiry.message", map[string]any{"Chain": chainName, "Link": linkName})
	return nil
}

// prefillFromBrief fills the form from an investor's brief: its region,
// park, chain and planned investment, and a first line naming the brief,
// which is attached to the inquiry. A brief that is gone is left out.
func (h *Handler) prefillFromBrief(c echo.Context, form *inquiryForm, token string) error {
	cx := ctx(c)
	b, err := models.BriefByToken(cx, h.db, token)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	places, err := models.LoadBriefPlaces(cx, h.db, b)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	answers, _ := url.ParseQuery(b.Answers)
	form.Brief, form.Region, form.Park = token, places.RegionSlug, places.ParkSlug
	if chain := answers.Get("chain"); models.ValidSlug(chain) {
		switch _, err := h.publicChain(cx, chain); {
		case err == nil:
			form.Chain = chain
		case !errors.Is(err, models.ErrNotFound):
			return err
		}
	}
	if amount, unit := answers.Get("amount"), answers.Get("unit"); parseAmount(amount, unit, fieldErrors{}) != nil {
		form.Amount, form.Unit = amount, unit
	}
	region, err := h.publicRegion(cx, places.RegionSlug)
	if err != nil {
		return err
	}
	name, _ := i18n.Content(cx, region.Name, region.NameEn)
	form.Message = i18n.T(cx, "brief.inquiry.message", map[string]any{
		"Title": i18n.T(cx, "brief.title", map[string]any{"Region": name}), "Address": h.briefAddress(c, token)})
	return nil
}

// subjectSlug is the form field that holds a subject kind's slug.
func (f *inquiryForm) subjectSlug(kind string) *string {
	return map[string]*string{"region": &f.Region, "chain": &f.Chain, "park": &f.Park, "policy": &f.Policy, "project": &f.Project}[kind]
}

func (f *inquiryForm) set(kind, slug string) { *f.subjectSlug(kind) = slug }

func (f *inquiryForm) setIfEmpty(kind, slug string) {
	if *f.subjectSlug(kind) == "" {
		f.set(kind, slug)
	}
}

func (f inquiryForm) slugOf(kind string) string { return *f.subjectSlug(kind) }

// subjectID is the inquiry column that links a subject kind.
func subjectID(in *models.Inquiry, kind string) **int64 {
	return map[string]**int64{"region": &in.RegionID, "chain": &in.ChainID, "park": &in.ParkID, "policy": &in.PolicyID, "project": &in.ProjectID}[kind]
}

// CreateInquiry receives the form. It stores the inquiry and its e-mails in
// one transaction and redirects to the private status page (Post/Redirect/
// Get); anything else re-shows the form with everything typed and says
// why, and nothing is stored.
func (h *Handler) CreateInquiry(c echo.Context) error {
	cx := ctx(c)
	params, err := c.FormParams()
	if err != nil {
		return badRequest(i18n.T(cx, "error.400.text"))
	}
	form := readInquiryForm(params)
	privatePage(c)
	if form.Honeypot != "" {
		h.log.Warn("inquiry refused: honeypot filled", "request_id", requestID(c))
		return badRequest(i18n.T(cx, "inquiry.spam"))
	}
	input, errs := form.validate()

	// The form's subjects must still be published; the database answers.
	subjects := map[string]models.InquirySubject{}
	for _, kind := range models.InquirySubjectKinds {
		slug := form.slugOf(kind)
		if slug == "" || errs[kind].ID != "" {
			continue
		}
		subject, err := models.PublicInquirySubject(cx, h.db, kind, slug)
		switch {
		case errors.Is(err, models.ErrNotFound):
			if errs == nil {
				errs = fieldErrors{}
			}
			if kind == "region" || kind == "chain" {
				errs[kind] = fieldError{ID: "form.err.choice"}
			} else {
				// A hidden field: the page it came from was unpublished since.
				errs["form"] = fieldError{ID: "inquiry.unknown_subject"}
			}
		case err != nil:
			return h.inquiryNotReceived(c, form, err)
		default:
			subjects[kind] = subject
		}
	}
	var brief models.InvestorBrief
	if form.Brief != "" && errs["form"].ID == "" {
		brief, err = models.BriefByToken(cx, h.db, form.Brief)
		switch {
		case errors.Is(err, models.ErrNotFound):
			if errs == nil {
				errs = fieldErrors{}
			}
			errs["form"] = fieldError{ID: "inquiry.unknown_subject"}
			form.Brief = "" // not offered again
		case err != nil:
			return h.inquiryNotReceived(c, form, err)
		}
	}
	if len(errs) > 0 {
		if errs["form"].ID == "form.err.expired" {
			form.SubmissionKey = newRandomKey()
		}
		return h.renderInquiryForm(c, http.StatusUnprocessableEntity, form, errs, "")
	}

	// A form sent again leads to the inquiry it stored: no new number, and
	// no count against the limits.
	submission := tokenHash(form.SubmissionKey)
	if stored, err := models.InquiryBySubmission(cx, h.db, submission); err == nil {
		return h.redirectToStatus(c, stored)
	} else if !errors.Is(err, models.ErrNotFound) {
		return h.inquiryNotReceived(c, form, err)
	}

	clientKey := h.keyedHash("client", clientNetwork(c.RealIP()))
	recent, err := models.CountRecentInquiries(cx, h.db, clientKey, input.Email, time.Now().Add(-inquiryWindow))
	if err != nil {
		return h.inquiryNotReceived(c, form, err)
	}
	if wait, limited := rateLimited(recent); limited {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(time.Until(wait).Seconds())+1))
		banner := i18n.T(cx, "inquiry.rate_limited", map[string]any{"Time": views.DateTime(cx, wait)})
		return h.renderInquiryForm(c, http.StatusTooManyRequests, form, nil, banner)
	}

	statusKey := newRandomKey()
	token := h.statusToken(statusKey)
	lang, _ := i18n.Parse(input.Language)
	record := models.Inquiry{
		StatusTokenHash: tokenHash(token), Name: input.Name, Company: input.Company, Origin: input.Origin,
		Email: input.Email, Phone: input.PhoneE164, PlannedAmountYuan: input.AmountYuan,
		Message: input.Message, Language: string(lang), ConsentAt: time.Now(),
		StatusKey: &statusKey, SubmissionKeyHash: submission, ClientKey: clientKey,
	}
	for kind, s := range subjects {
		id := s.ID
		*subjectID(&record, kind) = &id
	}
	if brief.ID != 0 {
		record.BriefID = &brief.ID
	}
	cal, err := models.LoadWorkCalendar(cx, h.db)
	if err != nil {
		return h.inquiryNotReceived(c, form, err)
	}
	due := cal.ResponseDue(time.Now(), h.inquiries.Desk.ResponseDays)
	record.ResponseDueAt = &due
	stored, created, err := models.CreateInquiry(cx, h.db, record, func(tx *gorm.DB, in models.Inquiry) error {
		return outbox.Enqueue(tx, h.mailDomain(), h.newInquiryMail(in, subjects)...)
	})
	if err != nil {
		return h.inquiryNotReceived(c, form, err)
	}
	if created {
		h.log.Info("inquiry received", "request_id", requestID(c), "reference", stored.Reference)
		if h.inquiries.WakeOutbox != nil {
			h.inquiries.WakeOutbox()
		}
	}
	return h.redirectToStatus(c, stored)
}

// redirectToStatus sends the investor to their inquiry's private status
// page (Post/Redirect/Get).
func (h *Handler) redirectToStatus(c echo.Context, in models.Inquiry) error {
	if in.StatusKey == nil {
		return models.ErrNotFound // anonymised: there is no page to go to
	}
	token := h.statusToken(*in.StatusKey)
	return c.Redirect(http.StatusSeeOther, i18n.FromContext(ctx(c)).Path("/inquiries/status/"+token)+"?received=1")
}

// rateLimited reports whether another inquiry must wait, and until when.
func rateLimited(r models.RecentInquiries) (time.Time, bool) {
	var wait time.Time
	if r.FromClient >= inquiriesPerClient {
		wait = r.OldestClient.Add(inquiryWindow)
	}
	if r.FromEmail >= inquiriesPerEmail {
		if w := r.OldestEmail.Add(inquiryWindow); w.After(wait) {
			wait = w
		}
	}
	return wait, !wait.IsZero()
}

// inquiryNotReceived answers a database failure while receiving: a 503
// that re-shows the form and says plainly that nothing was received.
func (h *Handler) inquiryNotReceived(c echo.Context, form inquiryForm, err error) error {
	if !models.Unavailable(err) {
		return err
	}
	h.log.Error("inquiry not received: database unavailable", "request_id", requestID(c), "err", err)
	c.Response().Header().Set("Retry-After", "60")
	return h.renderInquiryForm(c, http.StatusServiceUnavailable, form, nil, i18n.T(ctx(c), "inquiry.not_received"))
}

// renderInquiryForm shows the form with the values as typed.
func (h *Handler) renderInquiryForm(c echo.Context, status int, f inquiryForm, errs fieldErrors, banner string) error {
	cx := ctx(c)
	page := h.page(c, "inquiry", i18n.T(cx, "inquiry.title"), i18n.T(cx, "inquiry.lead", map[string]any{"Days": h.inquiries.Desk.ResponseDays}))
	page.NoIndex = status != http.StatusOK
	v := views.InquiryFormView{
		Page: page, Banner: banner, CSRFToken: csrfToken(c), Errors: map[string]string{},
		Values: views.InquiryValues{
			Name: f.Name, Company: f.Company, Origin: f.Origin, Email: f.Email, Phone: f.Phone,
			Amount: f.Amount, Message: f.Message, Park: f.Park, Policy: f.Policy, Project: f.Project,
			Consent: f.Consent, SubmissionKey: f.SubmissionKey,
		},
		UnitOptions: []views.Option{
			{Value: "wan", Label: i18n.T(cx, "inquiry.unit.wan"), Selected: f.Unit == "wan" || f.Unit == ""},
			{Value: "yi", Label: i18n.T(cx, "inquiry.unit.yi"), Selected: f.Unit == "yi"},
		},
	}
	for _, l := range i18n.All {
		v.LangOptions = append(v.LangOptions, views.Option{Value: string(l), Label: l.Name(), Selected: string(l) == f.Language})
	}
	for field, e := range errs {
		v.Errors[field] = i18n.T(cx, e.ID, e.Data)
	}
	if len(errs) > 0 {
		v.ErrorSummary = i18n.T(cx, "inquiry.errors", map[string]any{"N": len(errs)})
	}
	var err error
	if v.RegionOptions, v.ChainOptions, err = h.inquiryOptions(cx, f); err != nil {
		return err
	}
	if briefTokenPattern.MatchString(f.Brief) {
		v.Values.Brief = f.Brief
		v.About = append(v.About, views.LinkItem{Path: "/briefs/" + f.Brief, Name: i18n.T(cx, "brief.inquiry.about"), Meta: i18n.T(cx, "kind.brief")})
	}
	for _, kind := range []string{"park", "policy", "project"} {
		slug := f.slugOf(kind)
		if slug == "" || errs[kind].ID != "" {
			continue
		}
		if s, err := models.PublicInquirySubject(cx, h.db, kind, slug); err == nil {
			name, _ := i18n.Content(cx, s.Name, s.NameEn)
			v.About = append(v.About, views.LinkItem{Path: kindPaths[kind] + s.Slug, Name: name, Meta: i18n.T(cx, "kind."+kind)})
		}
	}
	return render(c, status, views.InquiryForm(v))
}

// inquiryOptions are the region and industry lists. When the database is
// down they fall back to the last lists read, so a 503 form still shows
// what was chosen.
func (h *Handler) inquiryOptions(cx context.Context, f inquiryForm) (regions, chains []views.Option, err error) {
	regions, errR := h.regionOptions(cx, f.Region)
	chains, errC := h.chainOptions(cx, f.Chain)
	if errR == nil && errC == nil {
		h.lastOptions.Store(&inquiryOptionLists{regions: regions, chains: chains})
		return regions, chains, nil
	}
	if err := errors.Join(errR, errC); !models.Unavailable(err) {
		return nil, nil, err
	}
	last := h.lastOptions.Load()
	if last == nil {
		last = &inquiryOptionLists{regions: []views.Option{{Value: "", Label: i18n.T(cx, "inquiry.any")}}, chains: []views.Option{{Value: "", Label: i18n.T(cx, "inquiry.any")}}}
	}
	return reselect(last.regions, f.Region), reselect(last.chains, f.Chain), nil
}

type inquiryOptionLists struct{ regions, chains []views.Option }

func reselect(options []views.Option, selected string) []views.Option {
	out := make([]views.Option, len(options))
	found := false
	for i, o := range options {
		o.Selected = o.Value == selected
		found = found || o.Selected
		out[i] = o
	}
	if !found && selected != "" {
		out = append(out, views.Option{Value: selected, Label: selected, Selected: true})
	}
	return out
}

// ShowInquiryStatus is the investor's private status page.
func (h *Handler) ShowInquiryStatus(c echo.Context) error {
	token := c.Param("token")
	status, err := h.inquiryByToken(c, token)
	if err != nil {
		return err
	}
	notice := ""
	if c.QueryParam("sent") == "1" {
		notice = i18n.T(ctx(c), "inquiry.status.sent")
	}
	return h.renderInquiryStatus(c, http.StatusOK, token, status, "", "", notice)
}

// AddInquiryMessage stores the investor's follow-up message and tells staff.
func (h *Handler) AddInquiryMessage(c echo.Context) error {
	cx := ctx(c)
	token := c.Param("token")
	status, err := h.inquiryByToken(c, token)
	if err != nil {
		return err
	}
	in := status.Inquiry
	if in.Stage == models.InquiryClosed || in.AnonymisedAt != nil {
		return h.renderInquiryStatus(c, http.StatusConflict, token, status, "", "", i18n.T(cx, "inquiry.status.closed"))
	}
	body := strings.TrimSpace(strings.ReplaceAll(c.FormValue("message"), "\r\n", "\n"))
	if problem := checkText(body, maxMessage, true, true); problem != nil {
		return h.renderInquiryStatus(c, http.StatusUnprocessableEntity, token, status, body, i18n.T(cx, problem.ID, problem.Data), "")
	}
	err = models.AddInvestorMessage(cx, h.db, in.ID, body, func(tx *gorm.DB) error {
		return outbox.Enqueue(tx, h.mailDomain(), h.followUpMail(in, body)...)
	})
	if models.Unavailable(err) {
		c.Response().Header().Set("Retry-After", "60")
		return h.renderInquiryStatus(c, http.StatusServiceUnavailable, token, status, body, i18n.T(cx, "inquiry.not_received"), "")
	}
	if err != nil {
		return err
	}
	if h.inquiries.WakeOutbox != nil {
		h.inquiries.WakeOutbox()
	}
	return c.Redirect(http.StatusSeeOther, i18n.FromContext(cx).Path("/inquiries/status/"+token)+"?sent=1")
}

func (h *Handler) inquiryByToken(c echo.Context, token string) (models.InquiryStatus, error) {
	privatePage(c)
	if !statusTokenPattern.MatchString(token) {
		return models.InquiryStatus{}, models.ErrNotFound
	}
	return models.LoadInquiryStatus(ctx(c), h.db, tokenHash(token))
}

func (h *Handler) renderInquiryStatus(c echo.Context, code int, token string, s models.InquiryStatus, reply, replyError, notice string) error {
	cx := ctx(c)
	in := s.Inquiry
	page := h.page(c, "inquiry", i18n.T(cx, "inquiry.status.title")+" "+in.Reference, "")
	page.NoIndex = true
	page.Path = "" // no canonical link or language alternates that would spread the token
	v := views.InquiryStatusView{
		Page: page, Reference: in.Reference, ReceivedAt: views.DateTime(cx, in.CreatedAt),
		Stage: i18n.T(cx, "inquiry.stage."+in.Stage), JustSent: c.QueryParam("received") == "1",
		Anonymised: in.AnonymisedAt != nil, Closed: in.Stage == models.InquiryClosed,
		Message: in.Message, Reply: reply, ReplyError: replyError, Notice: notice,
		CSRFToken: csrfToken(c), Action: "/inquiries/status/" + token, ResponseDays: h.inquiries.Desk.ResponseDays,
	}
	// What was promised for the project the inquiry became, and whether
	// each promise was kept: shown to this investor alone.
	commitments, err := models.InvestorCommitments(cx, h.db, in)
	if err != nil {
		return err
	}
	for _, cm := range commitments {
		v.Commitments = append(v.Commitments, commitmentRow(cx, cm, time.Now(), ""))
	}
	// By when the investor will hear from us: the due date, in their
	// language, until the first response has come.
	if in.FirstResponseAt == nil && in.ResponseDueAt != nil && models.IsOpenStage(in.Stage) {
		v.RespondBy = views.Date(cx, in.ResponseDueAt.In(calendar.Beijing))
	}
	reached := false
	for _, st := range models.InquiryStages {
		current := st == in.Stage
		v.Stages = append(v.Stages, views.StageStep{Label: i18n.T(cx, "inquiry.stage."+st), Done: !reached && !current, Current: current})
		reached = reached || current
	}
	fact := func(labelID, value string) {
		if value != "" {
			v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, labelID), Value: value})
		}
	}
	fact("inquiry.field.name", in.Name)
	fact("inquiry.field.company", in.Company)
	fact("inquiry.field.origin", in.Origin)
	fact("inquiry.field.email", in.Email)
	fact("inquiry.field.phone", in.Phone)
	if s.Chain != nil {
		name, _ := i18n.Content(cx, s.Chain.Name, s.Chain.NameEn)
		fact("inquiry.field.chain", name)
	}
	if s.Region != nil {
		name, _ := i18n.Content(cx, s.Region.Name, s.Region.NameEn)
		fact("inquiry.field.region", name)
	}
	if in.PlannedAmountYuan != nil {
		fact("inquiry.field.amount", views.Yuan(cx, *in.PlannedAmountYuan))
	}
	if l, ok := i18n.Parse(in.Language); ok {
		fact("inquiry.field.language", l.Name())
	}
	if s.Park != nil {
		name, _ := i18n.Content(cx, s.Park.Name, s.Park.NameEn)
		v.About = append(v.About, views.LinkItem{Name: name, Meta: i18n.T(cx, "kind.park")})
	}
	if s.Policy != nil {
		name, _ := i18n.Content(cx, s.Policy.Title, s.Policy.TitleEn)
		v.About = append(v.About, views.LinkItem{Name: name, Meta: i18n.T(cx, "kind.policy")})
	}
	if s.Project != nil {
		name, _ := i18n.Content(cx, s.Project.Name, s.Project.NameEn)
		v.About = append(v.About, views.LinkItem{Name: name, Meta: i18n.T(cx, "kind.project")})
	}
	for _, n := range s.Notes {
		author := i18n.T(cx, "inquiry.status.from_you")
		if n.AuthorKind == models.AuthorStaff {
			author = i18n.T(cx, "inquiry.status.from_staff")
		}
		v.Notes = append(v.Notes, views.InquiryNoteView{
			Author: author, Time: views.DateTime(cx, n.CreatedAt), TimeISO: n.CreatedAt.UTC().Format(time.RFC3339),
			Body: n.Body, FromStaff: n.AuthorKind == models.AuthorStaff,
		})
	}
	return render(c, code, views.InquiryStatus(v))
}

// Privacy is the privacy notice the inquiry form links to.
func (h *Handler) Privacy(c echo.Context) error {
	cx := ctx(c)
	v := views.PrivacyView{Page: h.page(c, "", i18n.T(cx, "privacy.title"), i18n.T(cx, "privacy.lead"))}
	for _, part := range []string{"who", "what", "why", "keep", "rights", "security"} {
		v.Sections = append(v.Sections, views.Fact{
			Label: i18n.T(cx, "privacy."+part+".h"),
			Value: i18n.T(cx, "privacy."+part, map[string]any{"Days": h.inquiries.RetentionDays}),
		})
	}
	return render(c, http.StatusOK, views.Privacy(v))
}
