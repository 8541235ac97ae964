package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"

	"github.com/wneessen/go-mail"
)

// SMTPSender sends through a mail server given as a URL:
// smtp://user:pass@host:587 (STARTTLS when the server offers it) or
// smtps://user:pass@host:465 (TLS from the start).
type SMTPSender struct {
	client *mail.Client
	from   string
}

// NewSMTPSender checks the server URL and the sender address.
func NewSMTPSender(serverURL, from string) (*SMTPSender, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("mail server URL must look like smtp://user:pass@host:587 or smtps://host:465")
	}
	opts := []mail.Option{mail.WithTLSPolicy(mail.TLSOpportunistic)}
	if u.Scheme == "smtps" {
		opts = []mail.Option{mail.WithSSL()}
	}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("mail server port %q is not a number", p)
		}
		opts = append(opts, mail.WithPort(port))
	}
	if u.User != nil {
		password, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(u.User.Username()), mail.WithPassword(password))
	}
	client, err := mail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, err
	}
	if err := mail.NewMsg().From(from); err != nil {
		return nil, fmt.Errorf("sender address %q: %w", from, err)
	}
	return &SMTPSender{client: client, from: from}, nil
}

// Send delivers one message, with its stored Message-ID so that a repeat
// after a crash can be recognised by the receiving side.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return err
	}
	if err := msg.To(m.ToAddress); err != nil {
		return err
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(trimAngles(m.MessageID))
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	return s.client.DialAndSendWithContext(ctx, msg)
}

func trimAngles(id string) string {
	if len(id) >= 2 && id[0] == '<' && id[len(id)-1] == '>' {
		return id[1 : len(id)-1]
	}
	return id
}

// LogSender stands in when no mail server is configured: it logs that a
// message would have gone out, by its Message-ID only: the recipient, the
// subject (which names the investor) and the body (which holds their
// private status link) are personal data.
type LogSender struct{ Log *slog.Logger }

// Send logs the message and reports it delivered.
func (s LogSender) Send(_ context.Context, m Message) error {
	s.Log.Info("outbox: no mail server configured; message logged instead of sent",
		"message", m.MessageID, "body_bytes", len(m.Body))
	return nil
}
