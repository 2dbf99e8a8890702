package notify

import (
	"strings"
	"testing"
)

func TestParsePin(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	colons := strings.TrimSuffix(strings.Repeat("AB:", 32), ":")
	for _, ok := range []string{hex, colons, " " + hex + " "} {
		if b, err := ParsePin(ok); err != nil || len(b) != 32 || b[0] != 0xab {
			t.Errorf("%q: %x %v", ok, b, err)
		}
	}
	for _, bad := range []string{"", "ab", strings.Repeat("ab", 33), strings.Repeat("zz", 32)} {
		if _, err := ParsePin(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestClientTLSDefaultsAreStrict(t *testing.T) {
	cfg, err := TrustConfig{}.clientTLS("mail.example.org")
	if err != nil || cfg.InsecureSkipVerify || cfg.RootCAs != nil || cfg.MinVersion < 0x0303 {
		t.Fatalf("default tls %+v %v", cfg, err)
	}
	if _, err := (TrustConfig{CAPEM: "-----BEGIN NOTHING-----"}).clientTLS("h"); err == nil {
		t.Fatal("garbage CA accepted")
	}
	pinned, err := TrustConfig{PinSHA256: strings.Repeat("00", 32)}.clientTLS("h")
	if err != nil || pinned.VerifyConnection == nil {
		t.Fatal("pin without a check")
	}
}

func TestTransportDefaultsAndRefusals(t *testing.T) {
	for _, c := range []struct {
		mode, password, want, err string
	}{
		{"", "p", "explicit", ""},
		{"implicit", "p", "implicit", ""},
		{"none", "", "none", ""},
		{"none", "p", "", "password without tls"},
		{"starttls", "", "", `tls "starttls" is not one of explicit, implicit, none`},
	} {
		got, err := transport(c.mode, c.password, TrustConfig{}, "h", "explicit", "implicit")
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("transport(%q, %q) = %q, %v; want %q, %q", c.mode, c.password, got, err, c.want, c.err)
		}
	}
}
