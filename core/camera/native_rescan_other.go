//go:build cgo && !linux

package camera

// rescanNativeDevices does nothing outside Linux: mediadevices' Initialize
// there does not clear what it registered before, so calling it again
// would list every camera twice.
func rescanNativeDevices() {}
