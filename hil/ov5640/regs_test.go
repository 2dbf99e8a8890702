package ov5640

import "testing"

// TestInitSequenceSetsTheMode checks the init sequence against the register map: the output size it
// writes is the mode it promises, it holds the chip powered down while configuring and leaves frames
// held, and each register is written once.
func TestInitSequenceSetsTheMode(t *testing.T) {
	vals := map[uint16]uint8{}
	for i, rv := range initSequence {
		if _, dup := vals[rv.reg]; dup {
			t.Errorf("register 0x%04X written twice", rv.reg)
		}
		if rv.reg < 0x3000 || rv.reg > 0x5FFF {
			t.Errorf("entry %d: 0x%04X is outside the OV5640's register space", i, rv.reg)
		}
		vals[rv.reg] = rv.val
	}
	if initSequence[0].reg != RegSystemCtrl0 || initSequence[0].val&SystemPowerDown == 0 {
		t.Errorf("the sequence must start by powering down, starts with 0x%04X = 0x%02X", initSequence[0].reg, initSequence[0].val)
	}
	w := int(vals[RegOutputWidthHigh])<<8 | int(vals[RegOutputWidthLow])
	h := int(vals[RegOutputHeightHigh])<<8 | int(vals[RegOutputHeightLow])
	if w != ModeWidth || h != ModeHeight {
		t.Errorf("output size %dx%d, want 1280x720", w, h)
	}
	if vals[RegFrameCtrl] != FrameHold || vals[RegTestPattern] != 0 || vals[RegFormatCtrl] != 0x30 {
		t.Errorf("frame ctrl 0x%02X, pattern 0x%02X, format 0x%02X", vals[RegFrameCtrl], vals[RegTestPattern], vals[RegFormatCtrl])
	}
	if RegChipIDHigh != 0x300A || RegChipIDLow != 0x300B || RegTestPattern != 0x503D || RegFrameCtrl != 0x4202 {
		t.Error("a datasheet register address changed")
	}
}
