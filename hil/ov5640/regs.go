package ov5640

// Register addresses of the OV5640 (OmniVision OV5640 datasheet, "register tables"). Addresses are
// 16 bits, sent big-endian; every register holds 8 bits. Only the registers this driver touches are
// named here, so that the register model in sim/board and this driver agree on one list.
const (
	// RegSystemCtrl0 is SYSTEM CTROL0: bit 7 software reset (self-clearing), bit 6 software power down.
	RegSystemCtrl0 = 0x3008
	// RegChipIDHigh and RegChipIDLow hold the chip ID, 0x56 and 0x40; they are read-only.
	RegChipIDHigh = 0x300A
	RegChipIDLow  = 0x300B
	// RegPLL1 .. RegPLL4 set the system clock: MIPI bit mode, system/MIPI dividers, PLL multiplier,
	// root and pre dividers (SC PLL CONTRL0..3).
	RegPLL1 = 0x3034
	RegPLL2 = 0x3035
	RegPLL3 = 0x3036
	RegPLL4 = 0x3037
	// RegSCCBClock is the SCCB system clock divider (SYSTEM ROOT DIVIDER).
	RegSCCBClock = 0x3108
	// RegXAddrStartHigh .. RegYAddrEndLow (0x3800..0x3807) are the sensor window on the pixel array.
	RegXAddrStartHigh = 0x3800
	// RegOutputWidthHigh .. RegOutputHeightLow (0x3808..0x380B) are the output (DVP/MIPI) frame size.
	RegOutputWidthHigh  = 0x3808
	RegOutputWidthLow   = 0x3809
	RegOutputHeightHigh = 0x380A
	RegOutputHeightLow  = 0x380B
	// RegHTSHigh .. RegVTSLow (0x380C..0x380F) are the total line length and frame length.
	RegHTSHigh = 0x380C
	// RegISPXOffsetHigh .. RegISPYOffsetLow (0x3810..0x3813) place the output window in the sensor window.
	RegISPXOffsetHigh = 0x3810
	// RegXInc and RegYInc are the horizontal and vertical subsampling (odd/even increments).
	RegXInc = 0x3814
	RegYInc = 0x3815
	// RegFrameCtrl is FRAME CTRL01 (0x4202): 0x00 lets frames out, 0x0F holds them (stream off).
	RegFrameCtrl = 0x4202
	// RegFormatCtrl is FORMAT CONTROL 00: output format and component order (0x30 = YUV422 YUYV).
	RegFormatCtrl = 0x4300
	// RegISPFormatMux is the ISP format mux (0x00 = ISP YUV).
	RegISPFormatMux = 0x501F
	// RegTestPattern is PRE ISP TEST SETTING 1: bit 7 enables, bits 1:0 choose the pattern.
	RegTestPattern = 0x503D
)

// Values of the registers above.
const (
	// ChipID is what RegChipIDHigh:RegChipIDLow read on every OV5640.
	ChipID = 0x5640
	// Address is the chip's 7-bit I2C (SCCB) address (0x78 as an 8-bit write address).
	Address = 0x3C

	// SystemReset is RegSystemCtrl0's software reset bit; SystemPowerDown its power-down bit.
	SystemReset     = 0x80
	SystemPowerDown = 0x40
	// SystemDefault is RegSystemCtrl0's value after reset (running, not powered down).
	SystemDefault = 0x02

	// FrameRun and FrameHold are RegFrameCtrl's values for streaming and not streaming.
	FrameRun  = 0x00
	FrameHold = 0x0F

	// FormatYUYV is RegFormatCtrl's value for YUV 4:2:2, YUYV order.
	FormatYUYV = 0x30
)
