package notify

import (
	"math"
	"testing"
)

// muLawDecode is the G.711 decoder, written independently of MuLaw to check it.
func muLawDecode(u byte) int16 {
	u = ^u
	x := ((int(u&0x0f) << 3) + 0x84) << ((u >> 4) & 7)
	x -= 0x84
	if u&0x80 != 0 {
		return int16(-x)
	}
	return int16(x)
}

// detectSymbols decodes a DTMF sequence from µ-law audio in 20 ms blocks with a Goertzel filter.
func detectSymbols(pcmu []byte) string {
	freqs := []float64{697, 770, 852, 941, 1209, 1336, 1477}
	keys := [4][3]byte{{'1', '2', '3'}, {'4', '5', '6'}, {'7', '8', '9'}, {'*', '0', '#'}}
	var out []byte
	prev := byte(0)
	for off := 0; off+160 <= len(pcmu); off += 160 {
		block := make([]float64, 160)
		energy := 0.0
		for i := range block {
			block[i] = float64(muLawDecode(pcmu[off+i]))
			energy += block[i] * block[i]
		}
		sym := byte(0)
		if energy/160 > 1e5 {
			p := make([]float64, len(freqs))
			for j, f := range freqs {
				w := 2 * math.Cos(2*math.Pi*f/8000)
				var s1, s2 float64
				for _, x := range block {
					s1, s2 = x+w*s1-s2, s1
				}
				p[j] = s1*s1 + s2*s2 - w*s1*s2
			}
			lo, hi := 0, 4
			for j := 0; j < 4; j++ {
				if p[j] > p[lo] {
					lo = j
				}
			}
			for j := 4; j < 7; j++ {
				if p[j] > p[hi] {
					hi = j
				}
			}
			sym = keys[lo][hi-4]
		}
		if sym != 0 && sym != prev {
			out = append(out, sym)
		}
		prev = sym
	}
	return string(out)
}

func TestMuLawKnownValues(t *testing.T) {
	for _, c := range []struct {
		in   int16
		want byte
	}{{0, 0xff}, {-1, 0x7f}, {32767, 0x80}, {-32768, 0x00}, {1000, 0xce}} {
		if got := MuLaw(c.in); got != c.want {
			t.Errorf("MuLaw(%d) = %#x, want %#x", c.in, got, c.want)
		}
	}
	for _, s := range []int16{-30000, -1000, -100, 0, 100, 1000, 30000} {
		back := muLawDecode(MuLaw(s))
		if d := math.Abs(float64(back) - float64(s)); d > math.Abs(float64(s))/16+8 {
			t.Errorf("round trip %d -> %d", s, back)
		}
	}
}

func TestToneEncodesKind(t *testing.T) {
	for kind, want := range map[string]string{
		KindStorageFailure: "*3#", KindStorageRecovered: "*1#", KindStorageFull: "*2#", KindMotion: "*4#", "other": "*5#",
	} {
		pcmu := RenderTone(kind, 2)
		if got := detectSymbols(pcmu); got != want+want {
			t.Errorf("%s: heard %q, want %q", kind, got, want+want)
		}
		// 3 symbols × (160+80 ms) × 2 + 400 ms gap, at 8000 samples/s.
		if len(pcmu) != 2*3*(1280+640)+3200 {
			t.Errorf("%s: %d samples", kind, len(pcmu))
		}
	}
}
