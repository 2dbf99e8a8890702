package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"vsslab/sim/clock"
)

const sampleConfig = `[
 {"id":"mail","type":"email","on":["storage_failure","storage_recovered"],"host":"mail.example.org","port":587,
  "from":"cam@example.org","to":["ops@example.org"],"username":"cam","password":"pw1","attach_image":true},
 {"id":"ftp","type":"ftp","on":["storage_full"],"host":"10.0.0.5","port":21,"username":"u","password":"pw2","dir":"alarms"},
 {"id":"hook","type":"http","on":["events"],"url":"https://hooks.example.org/x","token":"tok3"},
 {"id":"mq","type":"mqtt","on":["storage_failure"],"host":"10.0.0.6","port":1883,"topic":"cam/alarm"},
 {"id":"phone","type":"sip","on":["storage_failure"],"uri":"sip:alarm@10.0.0.7"},
 {"id":"led","type":"led","on":["storage_failure"],"line":"led","repeat":2},
 {"id":"spk","type":"audio","on":["storage_failure"]}
]`

func TestParseConfigValidSample(t *testing.T) {
	cfg, err := ParseConfig([]byte(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := clock.New(clock.Epoch())
	routes, err := cfg.Routes(Deps{Clock: clk, Speaker: &recordingSpeaker{},
		Pin: func(string) (gpio.PinOut, error) { return &recordingPin{clk: clk}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, r := range routes {
		kinds = append(kinds, r.Channel.Kind())
	}
	if strings.Join(kinds, ",") != "email,ftp,http,mqtt,sip,led,audio" {
		t.Fatalf("kinds %v", kinds)
	}
	if routes[0].Secrets[0] != "pw1" || routes[2].Secrets[0] != "tok3" {
		t.Fatalf("secrets not handed to the dispatcher for redaction")
	}
}

func TestParseConfigNamesBadField(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`[{"id":"a","type":"led","on":["storage_failure"],"line":"l","colour":"red"}]`, "notify.channels[0].colour: unknown field"},
		{`[{"id":"a","type":"led","on":["storage_failure"],"line":"l"},{"id":"b","type":"sip","on":[],"uri":5}]`, "notify.channels[1].uri"},
		{`{"id":"a"}`, "notify.channels"},
		{`[] []`, "trailing"},
	} {
		_, err := ParseConfig([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.json, err, c.want)
		}
	}
}

func TestValidateNamesBadField(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`[{"id":"a","type":"led","on":["storage_failure"],"line":"l"},{"id":"b","type":"led","on":["storage_failure"],"line":"l"},
		   {"id":"c","type":"http","on":["storage_failure"],"url":"http://plain.example.org"}]`, "notify.channels[2].url"},
		{`[{"id":"a","type":"email","on":["storage_failure"],"host":"h","port":25,"from":"a@b","to":["c@d"],"topic":"x"}]`, "notify.channels[0].topic: not a field of type email"},
		{`[{"id":"a","type":"email","on":["storage_failure"],"host":"h","port":0,"from":"a@b","to":["c@d"]}]`, "notify.channels[0].port"},
		{`[{"id":"a","type":"fax","on":["storage_failure"]}]`, "notify.channels[0].type"},
		{`[{"id":"a","type":"audio","on":["storage_failure","tuesday"]}]`, "notify.channels[0].on[1]"},
		{`[{"id":"a","type":"audio","on":[]}]`, "notify.channels[0].on"},
		{`[{"id":"a","type":"audio","on":["events"]},{"id":"a","type":"audio","on":["events"]}]`, "notify.channels[1].id"},
		{`[{"id":"A B","type":"audio","on":["events"]}]`, "notify.channels[0].id"},
		{`[{"id":"a","type":"http","on":["events"],"url":"https://x","pin_sha256":"12"}]`, "notify.channels[0].pin_sha256"},
		{`[{"id":"a","type":"sip","on":["events"],"uri":"sip:a@b;transport=tcp"}]`, "notify.channels[0].uri"},
		{`[{"id":"a","type":"mqtt","on":["events"],"host":"h","port":1,"topic":"a/+"}]`, "notify.channels[0].topic"},
		{`[{"id":"a","type":"ftp","on":["events"],"host":"h","port":21,"username":"u","password":"p","tls":"none"}]`, "notify.channels[0].tls"},
		{`[{"id":"a","type":"ftp","on":["events"],"host":"h","port":21,"username":"u","tls":"ssl"}]`, "notify.channels[0].tls"},
		{`[{"id":"a","type":"ftp","on":["events"],"host":"h","port":21,"username":"u","pin_sha256":"12"}]`, "notify.channels[0].pin_sha256"},
		{`[{"id":"a","type":"mqtt","on":["events"],"host":"h","port":1,"topic":"a","password":"p","tls":"none"}]`, "notify.channels[0].tls"},
		{`[{"id":"a","type":"mqtt","on":["events"],"host":"h","port":1,"topic":"a","ca_pem":"not pem"}]`, "notify.channels[0].ca_pem"},
	} {
		cfg, err := ParseConfig([]byte(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		err = cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n error %v\n want %q", c.json, err, c.want)
		}
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	cfg, _ := ParseConfig([]byte(sampleConfig))
	b, err := json.Marshal(cfg.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"pw1", "pw2", "tok3", `"password"`, `"token"`} {
		if strings.Contains(string(b), secret) {
			t.Fatalf("redacted form shows %s: %s", secret, b)
		}
	}
	if !strings.Contains(string(b), `"id":"mail","type":"email"`) || strings.Count(string(b), `"password_set":true`) != 2 ||
		strings.Count(string(b), `"token_set":true`) != 1 {
		t.Fatalf("redacted form %s", b)
	}
	if cfg[0].Password != "pw1" {
		t.Fatal("Redacted changed the stored config")
	}
	// What was read back can be sent back: password_set is accepted and ignored.
	back, err := ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if back[0].PasswordSet {
		t.Fatal("password_set taken from input")
	}
}

func TestMergeKeepsOmittedSecrets(t *testing.T) {
	stored, _ := ParseConfig([]byte(sampleConfig))
	patch, _ := ParseConfig([]byte(`[
	 {"id":"mail","type":"email","on":["storage_failure"],"host":"new.example.org","port":587,"from":"cam@example.org","to":["ops@example.org"],"username":"cam","password_set":true},
	 {"id":"hook","type":"http","on":["events"],"url":"https://hooks.example.org/y","token":"tok-new"},
	 {"id":"ftp2","type":"ftp","on":["storage_full"],"host":"10.0.0.5","port":21,"username":"u"},
	 {"id":"mq","type":"ftp","on":["storage_full"],"host":"10.0.0.5","port":21,"username":"u"}
	]`))
	got := stored.Merge(patch)
	if got[0].Password != "pw1" || got[0].Host != "new.example.org" {
		t.Errorf("mail: %+v", got[0])
	}
	if got[1].Token != "tok-new" {
		t.Errorf("explicit new token replaced by %q", got[1].Token)
	}
	if got[2].Password != "" {
		t.Errorf("a new id inherited a password")
	}
	if got[3].Password != "" {
		t.Errorf("a changed type inherited a password")
	}
	if len(got) != 4 {
		t.Errorf("merge kept %d entries", len(got))
	}
}

func TestRoutesRejectsInvalid(t *testing.T) {
	cfg, _ := ParseConfig([]byte(`[{"id":"a","type":"led","on":["events"],"line":"l"}]`))
	clk := clock.New(clock.Epoch())
	_, err := cfg.Routes(Deps{Clock: clk, Pin: func(string) (gpio.PinOut, error) { return nil, errors.New("no such line") }})
	if err == nil || !strings.Contains(err.Error(), "notify.channels[0].line") {
		t.Fatalf("error %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(sampleConfig))
	f.Add([]byte(`[{"id":"a","type":"led","on":["storage_failure"],"line":"l","colour":"red"}]`))
	f.Add([]byte(`[{"id":"a","type":"http","on":["events"],"url":"https://x","pin_sha256":"12","token":"t"}]`))
	f.Add([]byte(`[null, {}, []]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := ParseConfig(b)
		if err != nil {
			return
		}
		_ = cfg.Validate()
		red, err := json.Marshal(cfg.Redacted())
		if err != nil {
			t.Fatal(err)
		}
		// The property: no entry of the redacted form carries a password or token field at all. (A
		// search for the secret's text would also find another field that happens to hold the same
		// words, as the fuzzer showed with a password equal to a SIP URI.)
		var entries []map[string]any
		if err := json.Unmarshal(red, &entries); err != nil {
			t.Fatal(err)
		}
		for i, e := range entries {
			for _, k := range []string{"password", "token"} {
				if _, ok := e[k]; ok {
					t.Fatalf("entry %d shows its %s: %s", i, k, red)
				}
			}
			if cfg[i].Password != "" && e["password_set"] != true || cfg[i].Token != "" && e["token_set"] != true {
				t.Fatalf("entry %d does not say its secret is set: %s", i, red)
			}
		}
		if _, err := ParseConfig(red); err != nil {
			t.Fatalf("redacted form does not parse back: %v", err)
		}
	})
}

// refusingDialer records every attempt and refuses it, as the simulated world's observer does with
// an address off the loopback.
type refusingDialer struct {
	mu       sync.Mutex
	attempts []string
}

var errRefusedByTest = errors.New("refused by the test's dialer")

func (d *refusingDialer) dial(_ context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.attempts = append(d.attempts, network+" "+address)
	return nil, errRefusedByTest
}

// TestNetworkChannelsDialThroughDeps: every network channel opens its connections with the dialer
// the camera hands it, so an observer sees (and can refuse) each one; none goes around it.
func TestNetworkChannelsDialThroughDeps(t *testing.T) {
	cfg, err := ParseConfig([]byte(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.New(clock.Epoch())
	d := &refusingDialer{}
	routes, err := cfg.Routes(Deps{Clock: clk, Speaker: &recordingSpeaker{}, Dial: d.dial,
		Pin: func(string) (gpio.PinOut, error) { return &recordingPin{clk: clk}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"email": "tcp mail.example.org:587",
		"ftp":   "tcp 10.0.0.5:21",
		"http":  "tcp hooks.example.org:443",
		"mqtt":  "tcp 10.0.0.6:1883",
		"sip":   "udp 10.0.0.7:5060",
	}
	for _, r := range routes {
		addr, network := want[r.Channel.Kind()]
		if !network {
			continue
		}
		d.mu.Lock()
		d.attempts = nil
		d.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := r.Channel.Send(ctx, storageMessage())
		cancel()
		if !errors.Is(err, errRefusedByTest) && (err == nil || !strings.Contains(err.Error(), errRefusedByTest.Error())) {
			t.Errorf("%s: Send = %v, want the dialer's refusal", r.Channel.Kind(), err)
		}
		d.mu.Lock()
		got := d.attempts
		d.mu.Unlock()
		if len(got) == 0 || got[0] != addr {
			t.Errorf("%s: the dialer saw %v, want %q first", r.Channel.Kind(), got, addr)
		}
	}
}
