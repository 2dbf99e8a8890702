package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"periph.io/x/conn/v3/gpio"
)

// SettingsKey is the camera settings key that holds the channel list.
const SettingsKey = "notify.channels"

// ChannelConfig is one entry of notify.channels. It is flat, like the JSON, with the fields of every
// channel type; Validate rejects a field that does not belong to the entry's type, so a typo such as
// "topic" on an e-mail channel is an error rather than silently ignored.
//
// Password and Token are write-only: Redacted clears them and sets PasswordSet / TokenSet instead,
// and Merge keeps the stored value when a patch leaves them out. PasswordSet and TokenSet are
// accepted on input (so a client may send back what it read) and ignored.
type ChannelConfig struct {
	ID   string   `json:"id"`
	Type string   `json:"type"`
	On   []string `json:"on"`

	Host         string   `json:"host,omitempty"`
	Port         int      `json:"port,omitempty"`
	From         string   `json:"from,omitempty"`
	To           []string `json:"to,omitempty"`
	Username     string   `json:"username,omitempty"`
	Password     string   `json:"password,omitempty"`
	TLS          string   `json:"tls,omitempty"`
	AttachImage  bool     `json:"attach_image,omitempty"`
	CAPEM        string   `json:"ca_pem,omitempty"`
	PinSHA256    string   `json:"pin_sha256,omitempty"`
	Dir          string   `json:"dir,omitempty"`
	URL          string   `json:"url,omitempty"`
	Token        string   `json:"token,omitempty"`
	IncludeImage bool     `json:"include_image,omitempty"`
	Topic        string   `json:"topic,omitempty"`
	URI          string   `json:"uri,omitempty"`
	RingSeconds  int      `json:"ring_seconds,omitempty"`
	Line         string   `json:"line,omitempty"`
	Repeat       int      `json:"repeat,omitempty"`

	PasswordSet bool `json:"password_set,omitempty"`
	TokenSet    bool `json:"token_set,omitempty"`
}

// Config is the value of notify.channels.
type Config []ChannelConfig

// fieldsOf lists the type-specific JSON fields each channel type takes.
func fieldsOf(typ string) []string {
	switch typ {
	case "email":
		return []string{"host", "port", "from", "to", "username", "password", "tls", "attach_image", "ca_pem", "pin_sha256"}
	case "ftp":
		return []string{"host", "port", "username", "password", "dir", "tls", "ca_pem", "pin_sha256"}
	case "http":
		return []string{"url", "token", "include_image", "ca_pem", "pin_sha256"}
	case "mqtt":
		return []string{"host", "port", "topic", "username", "password", "include_image", "tls", "ca_pem", "pin_sha256"}
	case "sip":
		return []string{"uri", "repeat", "ring_seconds"}
	case "led":
		return []string{"line", "repeat"}
	case "audio":
		return []string{"repeat"}
	}
	return nil
}

// Types lists the channel types, in the order the documentation gives them.
func Types() []string { return []string{"email", "ftp", "http", "mqtt", "sip", "led", "audio"} }

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ParseConfig decodes notify.channels strictly: an unknown field, a wrong type or trailing data is an
// error that names the entry and field (notify.channels[2].url). It does not Validate.
func ParseConfig(data []byte) (Config, error) {
	var raw []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %w", SettingsKey, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: trailing data after the list", SettingsKey)
	}
	cfg := make(Config, 0, len(raw))
	for i, r := range raw {
		var c ChannelConfig
		d := json.NewDecoder(bytes.NewReader(r))
		d.DisallowUnknownFields()
		if err := d.Decode(&c); err != nil {
			if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
				return nil, fmt.Errorf("%s[%d].%s: unknown field", SettingsKey, i, strings.TrimSuffix(name, `"`))
			}
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return nil, fmt.Errorf("%s[%d].%s: %s is not a %s", SettingsKey, i, te.Field, te.Value, te.Type)
			}
			return nil, fmt.Errorf("%s[%d]: %w", SettingsKey, i, err)
		}
		c.PasswordSet, c.TokenSet = false, false
		cfg = append(cfg, c)
	}
	return cfg, nil
}

// Validate checks every entry and returns all problems, each naming its field.
func (cfg Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, c := range cfg {
		p := fmt.Sprintf("%s[%d]", SettingsKey, i)
		bad := func(field, format string, a ...any) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", p, field, fmt.Sprintf(format, a...)))
		}
		switch {
		case !idPattern.MatchString(c.ID):
			bad("id", "must match %s", idPattern)
		case seen[c.ID]:
			bad("id", "%q is used twice", c.ID)
		}
		seen[c.ID] = true
		if !slices.Contains(Types(), c.Type) {
			bad("type", "%q is not one of %s", c.Type, strings.Join(Types(), ", "))
			continue
		}
		if len(c.On) == 0 {
			bad("on", "subscribes to nothing")
		}
		for j, o := range c.On {
			switch o {
			case KindStorageFailure, KindStorageRecovered, KindStorageFull, KindEvents:
			default:
				bad(fmt.Sprintf("on[%d]", j), "%q is not one of storage_failure, storage_recovered, storage_full, events", o)
			}
		}
		for _, f := range c.setFields() {
			if !slices.Contains(fieldsOf(c.Type), f) {
				bad(f, "not a field of type %s", c.Type)
			}
		}
		if _, err := c.build(Deps{Clock: nopClock{}, Pin: func(string) (gpio.PinOut, error) { return nil, nil }, Speaker: nopSpeaker{}}); err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				bad(fe.field, "%s", fe.msg)
			} else {
				errs = append(errs, fmt.Errorf("%s: %w", p, err))
			}
		}
	}
	return errors.Join(errs...)
}

// setFields lists the JSON names of the type-specific fields that are set (non-zero).
func (c ChannelConfig) setFields() []string {
	var out []string
	v := reflect.ValueOf(c)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		switch name {
		case "id", "type", "on", "password_set", "token_set":
			continue
		}
		if !v.Field(i).IsZero() {
			out = append(out, name)
		}
	}
	return out
}

// Redacted is cfg as it may be read back: secrets replaced by password_set / token_set.
func (cfg Config) Redacted() Config {
	out := make(Config, len(cfg))
	for i, c := range cfg {
		c.On = slices.Clone(c.On)
		c.To = slices.Clone(c.To)
		c.PasswordSet, c.TokenSet = c.Password != "", c.Token != ""
		c.Password, c.Token = "", ""
		out[i] = c
	}
	return out
}

// Merge returns patch, the new channel list, with each secret that patch leaves empty taken from
// the stored entry of the same id and type. A client that read the redacted form can so change a
// channel's host without knowing, or re-sending, its password. To remove a secret, replace the
// channel with one of a new id.
func (cfg Config) Merge(patch Config) Config {
	out := make(Config, len(patch))
	for i, c := range patch {
		c.PasswordSet, c.TokenSet = false, false
		for _, old := range cfg {
			if old.ID != c.ID || old.Type != c.Type {
				continue
			}
			if c.Password == "" {
				c.Password = old.Password
			}
			if c.Token == "" {
				c.Token = old.Token
			}
		}
		out[i] = c
	}
	return out
}

// Deps are what channels need from the camera besides their settings.
type Deps struct {
	Clock Clock
	// MediaClock paces audio sent over the network (a telephone call's RTP): the far end listens
	// in real time whatever clock the camera runs on, so it is the wall clock; nil means Clock.
	MediaClock Clock
	// Pin returns the GPIO line of the given name, for LED channels.
	Pin func(line string) (gpio.PinOut, error)
	// Speaker is the camera's loudspeaker, for audio channels.
	Speaker Speaker
	// Dial opens every connection the network channels make: the camera's own dialer, so that
	// notifications are outbound connections like any other (PBD-4). Nil uses a net.Dialer.
	Dial DialFunc
}

// Routes validates cfg and builds a Route per entry, for NewDispatcher.
func (cfg Config) Routes(deps Deps) ([]Route, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	routes := make([]Route, 0, len(cfg))
	for i, c := range cfg {
		ch, err := c.build(deps)
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%s[%d].%s: %s", SettingsKey, i, fe.field, fe.msg)
		}
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", SettingsKey, i, err)
		}
		var secrets []string
		for _, s := range []string{c.Password, c.Token} {
			if s != "" {
				secrets = append(secrets, s)
			}
		}
		routes = append(routes, Route{ID: c.ID, On: slices.Clone(c.On), Channel: ch, Secrets: secrets})
	}
	return routes, nil
}

// fieldError is a build error attributable to one field.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func field(name string, err error) error {
	if err == nil {
		return nil
	}
	return &fieldError{field: name, msg: err.Error()}
}

// build makes the channel, checking type-specific requirements field by field.
func (c ChannelConfig) build(deps Deps) (Channel, error) {
	if deps.Clock == nil {
		return nil, errors.New("no clock")
	}
	trust := TrustConfig{CAPEM: c.CAPEM, PinSHA256: c.PinSHA256}
	if err := trust.validate(""); err != nil {
		if c.CAPEM != "" {
			if _, e := parseCAPEM(c.CAPEM); e != nil {
				return nil, field("ca_pem", e)
			}
		}
		_, e := ParsePin(c.PinSHA256)
		return nil, field("pin_sha256", e)
	}
	port := func() error {
		if c.Port <= 0 || c.Port > 65535 {
			return field("port", fmt.Errorf("%d is not a port (1..65535)", c.Port))
		}
		return nil
	}
	req := func(name, v string) error {
		if v == "" {
			return field(name, errors.New("is required"))
		}
		return nil
	}
	switch c.Type {
	case "email":
		if err := errors.Join(req("host", c.Host), port(), req("from", c.From)); err != nil {
			return nil, firstField(err)
		}
		if len(c.To) == 0 {
			return nil, field("to", errors.New("needs at least one recipient"))
		}
		if c.TLS == "none" && c.Password != "" {
			return nil, field("tls", errors.New(`"none" would send the password in clear`))
		}
		ch, err := NewEmail(EmailConfig{Host: c.Host, Port: c.Port, From: c.From, To: c.To, Username: c.Username,
			Password: c.Password, TLS: c.TLS, AttachImage: c.AttachImage, TrustConfig: trust, Dial: deps.Dial})
		return ch, fieldFromMessage(err, "from", "to", "tls")
	case "ftp":
		if err := errors.Join(req("host", c.Host), port(), req("username", c.Username)); err != nil {
			return nil, firstField(err)
		}
		ch, err := NewFTP(FTPConfig{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, Dir: c.Dir,
			TLS: c.TLS, TrustConfig: trust, Dial: deps.Dial})
		return ch, fieldFromMessage(err, "dir", "tls")
	case "http":
		if err := req("url", c.URL); err != nil {
			return nil, err
		}
		ch, err := NewHTTP(HTTPConfig{URL: c.URL, Token: c.Token, IncludeImage: c.IncludeImage, TrustConfig: trust, Dial: deps.Dial})
		if err != nil {
			return nil, field("url", err)
		}
		return ch, nil
	case "mqtt":
		if err := errors.Join(req("host", c.Host), port(), req("topic", c.Topic)); err != nil {
			return nil, firstField(err)
		}
		ch, err := NewMQTT(MQTTConfig{Host: c.Host, Port: c.Port, Topic: c.Topic, Username: c.Username,
			Password: c.Password, IncludeImage: c.IncludeImage, TLS: c.TLS, TrustConfig: trust, Dial: deps.Dial})
		return ch, fieldFromMessage(err, "topic", "tls")
	case "sip":
		if err := req("uri", c.URI); err != nil {
			return nil, err
		}
		media := deps.MediaClock
		if media == nil {
			media = deps.Clock
		}
		ch, err := NewSIP(SIPConfig{URI: c.URI, Repeat: c.Repeat, RingSeconds: c.RingSeconds, Dial: deps.Dial}, media)
		return ch, fieldFromMessage(err, "uri", "repeat", "ring_seconds")
	case "led":
		if err := req("line", c.Line); err != nil {
			return nil, err
		}
		if deps.Pin == nil {
			return nil, errors.New("no GPIO lines on this camera")
		}
		pin, err := deps.Pin(c.Line)
		if err != nil {
			return nil, field("line", err)
		}
		if pin == nil {
			pin = nopPin{}
		}
		ch, err := NewLED(pin, deps.Clock, c.Repeat)
		return ch, fieldFromMessage(err, "repeat")
	case "audio":
		ch, err := NewAudio(deps.Speaker, AudioConfig{Repeat: c.Repeat})
		return ch, fieldFromMessage(err, "repeat")
	}
	return nil, field("type", fmt.Errorf("%q is not a channel type", c.Type))
}

// firstField returns the first fieldError of a joined error.
func firstField(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		return j.Unwrap()[0]
	}
	return err
}

// fieldFromMessage attributes a constructor's error to the first of names its message mentions.
func fieldFromMessage(err error, names ...string) error {
	if err == nil {
		return nil
	}
	for _, n := range names {
		if strings.Contains(err.Error(), n) {
			return field(n, err)
		}
	}
	return err
}
