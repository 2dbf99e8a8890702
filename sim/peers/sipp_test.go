package peers

import "testing"

func TestSIPpListensAndStops(t *testing.T) {
	s, err := StartSIPp()
	skipUnavailable(t, err)
	if s.URI == "" || s.RTPAddr == "" {
		t.Fatalf("peer %+v", s)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Output() == "" && s.p != nil {
		t.Log("sipp printed nothing")
	}
}
