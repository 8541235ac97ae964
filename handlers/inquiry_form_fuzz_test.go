package handlers

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzInquiryForm decodes arbitrary request bodies as the inquiry form and
// checks that validation never panics and that whatever it accepts is
// within every limit the database enforces. Run longer with
// make fuzz (go test -fuzz=FuzzInquiryForm ./handlers).
func FuzzInquiryForm(f *testing.F) {
	valid := url.Values{
		"name": {"张伟"}, "email": {"zhang@example.com"}, "phone": {"13812345678"}, "message": {"你好"},
		"amount": {"1.5"}, "unit": {"yi"}, "language": {"zh-Hans"}, "consent": {"yes"},
		"submission_key": {"abcdefghijklmnopqrstuv"}, "region": {"chifeng"},
	}
	f.Add(valid.Encode())
	f.Add("name=%C3%28&email=a%40b&message=%00")
	f.Add("name=" + strings.Repeat("x", 200) + "&phone=%2B49+30+901820&message=hi&consent=yes&language=en")
	f.Add("amount=-0.00001&unit=wan&email=%3Cscript%3E&name=%27%3B+DROP+TABLE+x%3B--")
	f.Add("message=%F0%9F%A4%9D%E2%80%A8&name=%EF%BB%BF&phone=%2B%2B%2B&amount=1e9&unit=yi")
	f.Fuzz(func(t *testing.T, body string) {
		values, err := url.ParseQuery(body)
		if err != nil {
			return // the router answers 400 before the form is read
		}
		in, errs := readInquiryForm(values).validate()
		if len(errs) > 0 {
			for field, e := range errs {
				if e.ID == "" {
					t.Fatalf("field %s has an empty message", field)
				}
			}
			return
		}
		for name, v := range map[string]struct {
			value string
			max   int
		}{"name": {in.Name, maxName}, "company": {in.Company, maxCompany}, "origin": {in.Origin, maxOrigin},
			"email": {in.Email, maxEmail}, "phone": {in.PhoneE164, maxPhone}, "message": {in.Message, maxMessage}} {
			if !utf8.ValidString(v.value) || utf8.RuneCountInString(v.value) > v.max {
				t.Fatalf("accepted %s %q beyond its limit or not UTF-8", name, v.value)
			}
		}
		if in.Name == "" || in.Message == "" || (in.Email == "" && in.PhoneE164 == "") || !in.Consent {
			t.Fatalf("accepted a form without a required field: %+v", in)
		}
		if in.PhoneE164 != "" && !strings.HasPrefix(in.PhoneE164, "+") {
			t.Fatalf("phone %q is not in E.164", in.PhoneE164)
		}
		if in.AmountYuan != nil && *in.AmountYuan <= 0 {
			t.Fatalf("accepted amount %d", *in.AmountYuan)
		}
		if hasControl(in.Name, false) || hasControl(in.Message, true) {
			t.Fatalf("accepted control characters")
		}
	})
}
