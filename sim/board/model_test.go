package board

import (
	"testing"

	. "github.com/onsi/gomega"
)

func newModel(t *testing.T) *OV5640 {
	t.Helper()
	m, err := NewOV5640("test", 0x3C)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestModelReadsChipIDWithAutoIncrement(t *testing.T) {
	g := NewWithT(t)
	m := newModel(t)
	r := make([]byte, 2)
	g.Expect(m.Tx(0x3C, []byte{0x30, 0x0A}, r)).To(Succeed())
	g.Expect(r).To(Equal([]byte{0x56, 0x40}), "0x300A then 0x300B in one read")
	// A current-address read continues where the last one stopped (0x300C).
	g.Expect(m.Tx(0x3C, []byte{0x30, 0x0B}, r[:1])).To(Succeed())
	g.Expect(m.Tx(0x3C, nil, r[:1])).To(Succeed())
	g.Expect(r[0]).To(Equal(m.Reg(0x300C)))
}

func TestModelSequentialWriteAndReadOnlyID(t *testing.T) {
	g := NewWithT(t)
	m := newModel(t)
	g.Expect(m.Tx(0x3C, []byte{0x38, 0x08, 0x05, 0x00, 0x02, 0xD0}, nil)).To(Succeed())
	s := m.Status()
	g.Expect([]int{s.Width, s.Height}).To(Equal([]int{1280, 720}))
	g.Expect(m.Tx(0x3C, []byte{0x30, 0x0A, 0x12, 0x34}, nil)).To(Succeed())
	g.Expect([]byte{m.Reg(0x300A), m.Reg(0x300B)}).To(Equal([]byte{0x56, 0x40}), "the chip ID ignores writes")
}

func TestModelNACKsOtherAddressesAndHalfAddresses(t *testing.T) {
	g := NewWithT(t)
	m := newModel(t)
	r := make([]byte, 1)
	err := m.Tx(0x3D, []byte{0x30, 0x0A}, r)
	g.Expect(err).To(MatchError(ContainSubstring("no device acknowledged address 0x3D")))
	g.Expect(m.Tx(0x3C, []byte{0x30}, nil)).To(MatchError(ContainSubstring("a register address is 2 bytes")))
}

func TestModelResetAndPowerDown(t *testing.T) {
	g := NewWithT(t)
	m := newModel(t)
	g.Expect(m.Status()).To(Equal(Status{Streaming: true, Width: 2592, Height: 1944}), "power-on: running at full size")
	g.Expect(m.Tx(0x3C, []byte{0x50, 0x3D, 0x80}, nil)).To(Succeed())
	g.Expect(m.Tx(0x3C, []byte{0x42, 0x02, 0x0F}, nil)).To(Succeed())
	g.Expect(m.Status().Streaming).To(BeFalse())
	g.Expect(m.Tx(0x3C, []byte{0x30, 0x08, 0x42}, nil)).To(Succeed())
	g.Expect(m.Status().PoweredDown).To(BeTrue())
	// Software reset restores every register and clears itself.
	g.Expect(m.Tx(0x3C, []byte{0x30, 0x08, 0x82}, nil)).To(Succeed())
	g.Expect(m.Reg(0x3008)).To(Equal(byte(0x02)))
	g.Expect(m.Reg(0x503D)).To(Equal(byte(0x00)))
	g.Expect(m.Reg(0x4202)).To(Equal(byte(0x00)))
	g.Expect(m.Status()).To(Equal(Status{Streaming: true, Width: 2592, Height: 1944}))
}

func TestModelHandleClose(t *testing.T) {
	g := NewWithT(t)
	m := newModel(t)
	h, err := m.Open()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(h.String()).To(Equal("test"))
	g.Expect(h.Close()).To(Succeed())
	g.Expect(h.Tx(0x3C, []byte{0x30, 0x0A}, make([]byte, 1))).To(MatchError(ContainSubstring("closed")))
	g.Expect(h.Close()).To(HaveOccurred())
	h2, _ := m.Open()
	g.Expect(h2.Tx(0x3C, []byte{0x30, 0x0A}, make([]byte, 1))).To(Succeed(), "a new opening works")
	_, err = NewOV5640("x", 0x80)
	g.Expect(err).To(HaveOccurred())
}
