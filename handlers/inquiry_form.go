package handlers

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/views/i18n"
)

// inquiryForm is the inquiry form as typed: every value is kept as the
// visitor sent it, so a form with errors comes back exactly as it was.
type inquiryForm struct {
	Name, Company, Origin, Email, Phone  string
	Chain, Region, Park, Policy, Project string // slugs; the last three come from the page the form was opened on
	Brief                                string // the token of the investor's brief the form was opened from
	Amount, Unit                         string
	Message, Language                    string
	Consent                              bool
	SubmissionKey                        string
	Honeypot                             string // a field people never see; bots fill it
}

// inquiryInput is a valid form, parsed.
type inquiryInput struct {
	inquiryForm
	Email      string // lower-cased domain as typed otherwise
	PhoneE164  string // +8613812345678
	AmountYuan *int64
}

// fieldError is a message for one field, as a catalog id and its data.
type fieldError struct {
	ID   string
	Data map[string]any
}

// fieldErrors maps a form field's name to what is wrong with it.
type fieldErrors map[string]fieldError

// Limits, in characters; the database has the same ones as CHECKs.
const (
	maxName    = 100
	maxCompany = 200
	maxOrigin  = 100
	maxEmail   = 254
	maxPhone   = 30
	maxMessage = 5000
	maxAmount  = 20
)

// Planned-investment units and what one of each is in yuan.
var amountUnits = map[string]int64{"wan": 10_000, "yi": 100_000_000}

var submissionKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22,64}$`)

// readInquiryForm takes the form's fields from a request body.
func readInquiryForm(v url.Values) inquiryForm {
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	return inquiryForm{
		Name: get("name"), Company: get("company"), Origin: get("origin"),
		Email: get("email"), Phone: get("phone"),
		Chain: get("chain"), Region: get("region"), Park: get("park"), Policy: get("policy"), Project: get("project"),
		Brief:  get("brief"),
		Amount: get("amount"), Unit: get("unit"),
		Message:       strings.TrimSpace(strings.ReplaceAll(v.Get("message"), "\r\n", "\n")),
		Language:      get("language"),
		Consent:       v.Get("consent") == "yes",
		SubmissionKey: get("submission_key"),
		Honeypot:      v.Get("website"),
	}
}

// validate checks every field and returns the parsed input, or what is
// wrong with each field. Slugs are checked for form here; whether they
// name a published record is the handler's question.
func (f inquiryForm) validate() (inquiryInput, fieldErrors) {
	in := inquiryInput{inquiryForm: f}
	errs := fieldErrors{}
	text := func(field, value string, max int, required, multiline bool) {
		if problem := checkText(value, max, required, multiline); problem != nil {
			errs[field] = *problem
		}
	}
	text("name", f.Name, maxName, true, false)
	text("company", f.Company, maxCompany, false, false)
	text("origin", f.Origin, maxOrigin, false, false)
	text("email", f.Email, maxEmail, false, false)
	text("phone", f.Phone, maxPhone, false, false)
	text("message", f.Message, maxMessage, true, true)
	for field, slug := range map[string]string{"chain": f.Chain, "region": f.Region, "park": f.Park, "policy": f.Policy, "project": f.Project} {
		if slug != "" && !models.ValidSlug(slug) {
			errs[field] = fieldError{ID: "form.err.choice"}
		}
	}

	if f.Brief != "" && !briefTokenPattern.MatchString(f.Brief) {
		errs["form"] = fieldError{ID: "inquiry.unknown_subject"}
	}

	if _, bad := errs["email"]; !bad && f.Email != "" {
		if email, ok := parseEmail(f.Email); ok {
			in.Email = email
		} else {
			errs["email"] = fieldError{ID: "form.err.email"}
		}
	}
	if _, bad := errs["phone"]; !bad && f.Phone != "" {
		if phone, ok := parsePhone(f.Phone); ok {
			in.PhoneE164 = phone
		} else {
			errs["phone"] = fieldError{ID: "form.err.phone"}
		}
	}
	if f.Email == "" && f.Phone == "" {
		errs["email"] = fieldError{ID: "form.err.contact_needed"}
	}

	in.AmountYuan = parseAmount(f.Amount, f.Unit, errs)
	if _, ok := i18n.Parse(f.Language); !ok {
		errs["language"] = fieldError{ID: "form.err.choice"}
	}
	if !f.Consent {
		errs["consent"] = fieldError{ID: "form.err.consent"}
	}
	if !submissionKeyPattern.MatchString(f.SubmissionKey) {
		errs["form"] = fieldError{ID: "form.err.expired"}
	}
	if len(errs) > 0 {
		return inquiryInput{}, errs
	}
	return in, nil
}

// parseAmount reads a planned investment typed in 万元 or 亿元 (the
// fields "amount" and "unit") into yuan; nil when absent or wrong, and
// then errs says which field is wrong and why.
func parseAmount(typed, unitName string, errs fieldErrors) *int64 {
	unit, unitOK := amountUnits[unitName]
	if unitName != "" && !unitOK || typed != "" && unitName == "" {
		errs["unit"] = fieldError{ID: "form.err.choice"}
	}
	if typed == "" || !unitOK {
		return nil
	}
	amount, err := decimal.NewFromString(strings.ReplaceAll(typed, ",", ""))
	switch {
	case len(typed) > maxAmount || err != nil || !amount.IsPositive() || amount.Exponent() < -4:
		errs["amount"] = fieldError{ID: "form.err.amount"}
	case amount.GreaterThan(decimal.NewFromInt(1_000_000)):
		errs["amount"] = fieldError{ID: "form.err.amount_too_large"}
	default:
		yuan := amount.Mul(decimal.NewFromInt(unit)).Round(0).IntPart()
		return &yuan
	}
	return nil
}

// checkText is what is wrong with a typed text, or nil: unreadable or
// control characters, missing when required, or longer than max characters.
func checkText(value string, max int, required, multiline bool) *fieldError {
	switch n := utf8.RuneCountInString(value); {
	case !utf8.ValidString(value) || hasControl(value, multiline):
		return &fieldError{ID: "form.err.invalid_text"}
	case required && value == "":
		return &fieldError{ID: "form.err.required"}
	case n > max:
		return &fieldError{ID: "form.err.too_long", Data: map[string]any{"Max": max, "N": n}}
	}
	return nil
}

// hasControl reports control characters; a message may hold line breaks
// and tabs.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return true
		}
		if r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return true
		}
	}
	return false
}

// parseEmail accepts one bare address (no display name) with a dotted domain.
func parseEmail(s string) (string, bool) {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", false
	}
	return s[:at+1] + strings.ToLower(domain), true
}

// parsePhone accepts a valid Chinese number (mobile or fixed line, with or
// without +86) or an international number with its country code, and
// returns it in E.164 form.
func parsePhone(s string) (string, bool) {
	for _, r := range s {
		if !(unicode.IsDigit(r) || strings.ContainsRune("+-() .", r)) {
			return "", false
		}
	}
	n, err := phonenumbers.Parse(s, "CN")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}
