// Package settings holds the camera's configuration with its factory defaults.
//
// The defaults are the camera's privacy by default (GDPR Art. 25(2), WP 2.1.3): the microphone off,
// event control, analytics and the app service disarmed, no update check (no outbound connection),
// and public access on only so that the camera can be configured at all. Changes arrive as JSON merge
// patches (RFC 7396) and are all or nothing: a patch with one bad key changes nothing and names the key.
package settings

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"vsslab/camera/mask"
	"vsslab/camera/notify"
)

// Settings is the whole configuration. Its JSON form is what GET /api/v1/settings returns and what a
// merge patch applies to.
type Settings struct {
	Microphone  Microphone  `json:"microphone"`
	Arming      Arming      `json:"arming"`
	Events      Events      `json:"events"`
	Analytics   Analytics   `json:"analytics"`
	Apps        Apps        `json:"apps"`
	UpdateCheck UpdateCheck `json:"update_check"`
	Access      Access      `json:"access"`
	Auth        Auth        `json:"auth"`
	Image       Image       `json:"image"`
	Storage     Storage     `json:"storage"`
	Playback    Playback    `json:"playback"`
	Debug       Debug       `json:"debug"`
	Monitor     Monitor     `json:"monitor"`
	Notify      Notify      `json:"notify"`
	// Masks are the obscured image areas (MASK-1..3); on the move model, privacy zones fixed in
	// scene coordinates (MASK-4).
	Masks []mask.Mask `json:"masks"`
}

// Microphone: off in factory state; only an admin may switch it on (PBD-1).
type Microphone struct {
	Enabled bool `json:"enabled"`
}

// Arming is event control: nothing is stored, done or sent unless the general arming and the
// area's own arming are both on (PBD-2).
type Arming struct {
	General       bool `json:"general"`
	Storage       bool `json:"storage"`
	Actions       bool `json:"actions"`
	Notifications bool `json:"notifications"`
}

// Monitor is storage failure monitoring (MON-1, WP 2.1.3 e): background tests, each on its own
// interval, whose results go to the camera's monitoring log; a discrepancy raises storage_failure.
type Monitor struct {
	// StorageAvailable checks that the card is present and writable.
	StorageAvailable MonitorTest `json:"storage_available"`
	// Transfer checks that the NAS is reachable and that what is sent there reads back.
	Transfer MonitorTest `json:"transfer"`
	// EventsRecorded checks that every event while storage was armed produced a record.
	EventsRecorded MonitorTest `json:"events_recorded"`
	// TransferTimeout bounds the transfer test: a NAS slower than this counts as failing.
	TransferTimeout Duration `json:"transfer_timeout"`
	// CardTimeout bounds the storage test's write and read-back: a slower card counts as failing.
	CardTimeout Duration `json:"card_timeout"`
}

// MonitorTest is one background test.
type MonitorTest struct {
	Enabled  bool     `json:"enabled"`
	Interval Duration `json:"interval"`
}

// Notify holds the notification channels (MON-2). Their secrets are write-only: GET shows
// password_set / token_set, and a patch that leaves a secret out keeps the stored one.
type Notify struct {
	Channels notify.Config `json:"channels"`
}

// Debug is the board's debug access (a UART console): off in factory state, and only an admin may
// switch it on (NET-2). On a board it drives the debug-enable line.
type Debug struct {
	Enabled bool `json:"enabled"`
}

// Events chooses what raises an event besides the API: the video motion detector and the motion input
// line. Whether an event is recorded is the arming's business.
type Events struct {
	VideoMotion bool `json:"video_motion"`
	MotionInput bool `json:"motion_input"`
}

// Analytics is the analytics control (counting corridors, heatmaps, behaviour detection).
type Analytics struct {
	Enabled bool `json:"enabled"`
}

// Apps is the certified-apps service (PBD-3).
type Apps struct {
	Armed bool `json:"armed"`
}

// UpdateCheck is the software-update check: the camera's only outbound connection of its own, off
// in factory state (PBD-4).
type UpdateCheck struct {
	Enabled bool   `json:"enabled"`
	URL     string `json:"url"`
}

// Access holds who may reach the camera without a password, and what guests get.
type Access struct {
	Public bool `json:"public"`
	// GuestMaxFPS is the frame rate a guest's live stream is limited to (WP 2.1.3 a: "live images
	// with reduced frame rate").
	GuestMaxFPS float64 `json:"guest_max_fps"`
}

// Auth holds the login protection.
type Auth struct {
	Lockout Lockout `json:"lockout"`
}

// Lockout: MaxFailures failed logins within Window lock the account for Duration (AUTH-5).
type Lockout struct {
	MaxFailures int      `json:"max_failures"`
	Window      Duration `json:"window"`
	Duration    Duration `json:"duration"`
}

// Image holds the image settings a user-level account may change (AUTH-3).
type Image struct {
	Brightness int `json:"brightness"`
	Contrast   int `json:"contrast"`
	Saturation int `json:"saturation"`
}

// Storage is event recording: how it is protected, how long it is kept, where it is copied
// (docs/recording.md). The keyword itself is write-only and never part of Settings: the camera takes
// it out of a patch before the patch reaches Apply, and keeps only what it derives from it.
type Storage struct {
	// KeywordSet, Encrypting and ShredGranularity are read-only: the camera fills them in; a patch
	// that changes them is refused.
	KeywordSet       bool     `json:"keyword_set"`
	Encrypting       bool     `json:"encrypting"`
	ShredGranularity Duration `json:"shred_granularity"`
	// Cipher is the cipher of the keyring made from the next keyword.
	Cipher string `json:"cipher"`
	// DeletionPeriod is how long records stay readable (DEL-1; 72 h in factory state, DEL-4).
	DeletionPeriod Duration `json:"deletion_period"`
	PreEvent       Duration `json:"pre_event"`
	PostEvent      Duration `json:"post_event"`
	FPS            int      `json:"fps"`
	// NAS is "" or a file:// or sftp:// URL (camera/nas); NASHostKey pins an SFTP server's key.
	NAS        string `json:"nas"`
	NASHostKey string `json:"nas_host_key"`
}

// Playback holds who may see recordings, and how much of them (ACC-2, DEL-3).
type Playback struct {
	// ApprovalsRequired is 0, 1 (four eyes) or 2 (six eyes, supervisor mode).
	ApprovalsRequired int            `json:"approvals_required"`
	Limits            PlaybackLimits `json:"limits"`
}

// PlaybackLimits are the limits per level; guests cannot play back at all.
type PlaybackLimits struct {
	User  Limit `json:"user"`
	Admin Limit `json:"admin"`
}

// Limit bounds a playback: MaxAge how far back it may reach, MaxLength how long a search window or a
// record may be. Zero means no limit beyond the deletion period.
type Limit struct {
	MaxAge    Duration `json:"max_age"`
	MaxLength Duration `json:"max_length"`
}

// ReadOnlyKeys are the settings the camera reports but no patch may change.
var ReadOnlyKeys = [...]string{"storage.keyword_set", "storage.encrypting", "storage.shred_granularity"}

// The recording bounds Validate enforces.
const (
	MinDeletionPeriod = time.Hour
	MaxDeletionPeriod = 365 * 24 * time.Hour
	MaxPreEvent       = 30 * time.Second
	MaxPostEvent      = 5 * time.Minute
	MaxRecordFPS      = 10
)

// Defaults returns the factory settings.
func Defaults() Settings {
	return Settings{
		Access: Access{Public: true, GuestMaxFPS: 1},
		Auth: Auth{Lockout: Lockout{
			MaxFailures: 5,
			Window:      Duration(15 * time.Minute),
			Duration:    Duration(15 * time.Minute),
		}},
		Image:  Image{Brightness: 50, Contrast: 50, Saturation: 50},
		Events: Events{VideoMotion: true, MotionInput: true},
		Monitor: Monitor{
			StorageAvailable: MonitorTest{Interval: Duration(time.Minute)},
			Transfer:         MonitorTest{Interval: Duration(5 * time.Minute)},
			EventsRecorded:   MonitorTest{Interval: Duration(time.Minute)},
			TransferTimeout:  Duration(5 * time.Second),
			CardTimeout:      Duration(2 * time.Second),
		},
		Notify: Notify{Channels: notify.Config{}},
		Storage: Storage{
			// The camera's key bucket length (camera/store.BucketLength); read-only.
			ShredGranularity: Duration(time.Hour),
			Cipher:           "aes-256-gcm",
			DeletionPeriod:   Duration(72 * time.Hour),
			PreEvent:         Duration(2 * time.Second),
			PostEvent:        Duration(3 * time.Second),
			FPS:              5,
		},
		Masks: []mask.Mask{},
	}
}

// Equal tells whether s and o hold the same values (a nil and an empty mask list are the same).
func (s Settings) Equal(o Settings) bool {
	d, err := Diff(s, o)
	return err == nil && len(d) == 0
}

// FieldError names the setting that made a patch fail. Code is "unknown_key" or "invalid_value".
type FieldError struct {
	Code    string
	Key     string
	Message string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Key, e.Message) }

// Validate checks every value's range, naming the first bad key.
func (s Settings) Validate() error {
	bad := func(key, msg string) error { return &FieldError{Code: "invalid_value", Key: key, Message: msg} }
	l := s.Auth.Lockout
	if l.MaxFailures < 1 || l.MaxFailures > 100 {
		return bad("auth.lockout.max_failures", "must be between 1 and 100")
	}
	if d := time.Duration(l.Window); d < time.Second || d > 24*time.Hour {
		return bad("auth.lockout.window", "must be between 1s and 24h")
	}
	if d := time.Duration(l.Duration); d < time.Second || d > 24*time.Hour {
		return bad("auth.lockout.duration", "must be between 1s and 24h")
	}
	for key, v := range map[string]int{"image.brightness": s.Image.Brightness, "image.contrast": s.Image.Contrast, "image.saturation": s.Image.Saturation} {
		if v < 0 || v > 100 {
			return bad(key, "must be between 0 and 100")
		}
	}
	if u := s.UpdateCheck.URL; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil {
			return bad("update_check.url", "must be an absolute http or https URL without credentials")
		}
	}
	if g := s.Access.GuestMaxFPS; g != g || g < 0.1 || g > 30 {
		return bad("access.guest_max_fps", "must be between 0.1 and 30 frames per second")
	}
	if s.Masks == nil {
		return bad("masks", "must be a list (use [] for none)")
	}
	if err := mask.ValidateAll(s.Masks); err != nil {
		key, msg, _ := strings.Cut(err.Error(), ": ")
		return bad("masks"+key, msg)
	}
	if err := s.Storage.validate(); err != nil {
		return err
	}
	if err := s.Playback.validate(); err != nil {
		return err
	}
	if err := s.Monitor.validate(); err != nil {
		return err
	}
	if s.Notify.Channels == nil {
		return bad("notify.channels", "must be a list (use [] for none)")
	}
	if err := s.Notify.Channels.Validate(); err != nil {
		key, msg, ok := strings.Cut(err.Error(), ": ")
		if !ok || !strings.HasPrefix(key, "notify.channels") {
			key, msg = "notify.channels", err.Error()
		}
		return bad(key, msg)
	}
	if s.UpdateCheck.Enabled && s.UpdateCheck.URL == "" {
		return bad("update_check.enabled", "needs update_check.url to be set")
	}
	return nil
}

// Duration is a time.Duration written as Go duration text ("15m") in JSON, so that people can read
// and write it.
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads duration text such as "90s" or "15m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is text such as \"15m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"15m\"", s)
	}
	*d = Duration(v)
	return nil
}

func (st Storage) validate() error {
	bad := func(key, msg string) error {
		return &FieldError{Code: "invalid_value", Key: "storage." + key, Message: msg}
	}
	if st.Cipher != "aes-256-gcm" && st.Cipher != "xtea-128" {
		return bad("cipher", `must be "aes-256-gcm" or "xtea-128"`)
	}
	if d := time.Duration(st.DeletionPeriod); d < MinDeletionPeriod || d > MaxDeletionPeriod || d%time.Second != 0 {
		return bad("deletion_period", "must be whole seconds between 1h and 8760h")
	}
	if d := time.Duration(st.PreEvent); d < 0 || d > MaxPreEvent {
		return bad("pre_event", "must be between 0s and 30s")
	}
	if d := time.Duration(st.PostEvent); d < 0 || d > MaxPostEvent {
		return bad("post_event", "must be between 0s and 5m")
	}
	if st.FPS < 1 || st.FPS > MaxRecordFPS {
		return bad("fps", "must be between 1 and 10")
	}
	if st.NAS != "" {
		u, err := url.Parse(st.NAS)
		if err != nil || (u.Scheme != "file" && u.Scheme != "sftp") {
			return bad("nas", "must be empty, file:///absolute/path or sftp://user@host:port/path")
		}
		if u.Scheme == "sftp" && st.NASHostKey == "" {
			return bad("nas_host_key", "must be the SFTP server's public host key (an authorized_keys line)")
		}
	}
	if len(st.NASHostKey) > 16<<10 {
		return bad("nas_host_key", "is too long")
	}
	return nil
}

func (p Playback) validate() error {
	bad := func(key, msg string) error {
		return &FieldError{Code: "invalid_value", Key: "playback." + key, Message: msg}
	}
	if p.ApprovalsRequired < 0 || p.ApprovalsRequired > 2 {
		return bad("approvals_required", "must be 0, 1 (four eyes) or 2 (six eyes)")
	}
	for level, l := range map[string]Limit{"user": p.Limits.User, "admin": p.Limits.Admin} {
		if d := time.Duration(l.MaxAge); d < 0 || d > MaxDeletionPeriod {
			return bad("limits."+level+".max_age", "must be between 0s (no limit) and 8760h")
		}
		if d := time.Duration(l.MaxLength); d < 0 || d > MaxDeletionPeriod {
			return bad("limits."+level+".max_length", "must be between 0s (no limit) and 8760h")
		}
	}
	return nil
}

func (m Monitor) validate() error {
	bad := func(key, msg string) error {
		return &FieldError{Code: "invalid_value", Key: "monitor." + key, Message: msg}
	}
	for key, t := range map[string]MonitorTest{"storage_available": m.StorageAvailable, "transfer": m.Transfer, "events_recorded": m.EventsRecorded} {
		if d := time.Duration(t.Interval); d < 10*time.Second || d > 24*time.Hour {
			return bad(key+".interval", "must be between 10s and 24h")
		}
	}
	if d := time.Duration(m.TransferTimeout); d < 100*time.Millisecond || d > time.Minute {
		return bad("transfer_timeout", "must be between 100ms and 1m")
	}
	if d := time.Duration(m.CardTimeout); d < 100*time.Millisecond || d > time.Minute {
		return bad("card_timeout", "must be between 100ms and 1m")
	}
	return nil
}

// Redacted returns s without the secrets it holds (notification passwords and tokens): what GET
// shows and what the audit log records.
func (s Settings) Redacted() Settings {
	s.Notify.Channels = s.Notify.Channels.Redacted()
	return s
}
