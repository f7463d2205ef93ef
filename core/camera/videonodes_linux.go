package camera

import (
	"bytes"
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// V4L2 ABI constants from <linux/videodev2.h>, written out so the ffmpeg
// backend needs no cgo.
const (
	v4l2CapVideoCapture       = 0x00000001
	v4l2CapVideoCaptureMplane = 0x00001000
	v4l2CapDeviceCaps         = 0x80000000
	v4l2CapabilitySize        = 104 // struct v4l2_capability
	// VIDIOC_QUERYCAP = _IOR('V', 0, struct v4l2_capability)
	vidiocQueryCap = 2<<30 | v4l2CapabilitySize<<16 | 'V'<<8 | 0
)

// queryVideoNode asks the node what it is. It opens the node non-blocking
// and read-only, which V4L2 allows even while another process streams.
func queryVideoNode(path string) videoNodeInfo {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return videoNodeInfo{}
	}
	defer unix.Close(fd)
	var raw [v4l2CapabilitySize]byte
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), vidiocQueryCap, uintptr(unsafe.Pointer(&raw[0]))); errno != 0 {
		return videoNodeInfo{}
	}
	return parseV4L2Capability(raw)
}

// parseV4L2Capability decodes struct v4l2_capability: driver[16], card[32],
// bus_info[32], version, capabilities, device_caps (u32, host order).
func parseV4L2Capability(raw [v4l2CapabilitySize]byte) videoNodeInfo {
	card := raw[16:48]
	if i := bytes.IndexByte(card, 0); i >= 0 {
		card = card[:i]
	}
	caps := binary.NativeEndian.Uint32(raw[84:88])
	if caps&v4l2CapDeviceCaps != 0 {
		// Since Linux 3.4, device_caps describes this node; capabilities
		// describes the whole physical device (all its nodes).
		caps = binary.NativeEndian.Uint32(raw[88:92])
	}
	return videoNodeInfo{
		card:    string(bytes.TrimSpace(card)),
		capture: caps&(v4l2CapVideoCapture|v4l2CapVideoCaptureMplane) != 0,
		ok:      true,
	}
}
