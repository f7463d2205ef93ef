//go:build cgo && linux

package camera

import mdcamera "github.com/pion/mediadevices/pkg/driver/camera"

// rescanNativeDevices re-reads /dev/video* so a webcam plugged in after
// start shows up. mediadevices' Linux Initialize replaces every registered
// camera driver; streams already open keep their own driver value.
func rescanNativeDevices() { mdcamera.Initialize() }
