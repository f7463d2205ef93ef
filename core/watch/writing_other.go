//go:build !linux && !windows

package watch

// openForWriting cannot ask macOS or the BSDs cheaply (only by listing
// every process's open files), so settling relies on the file staying
// unchanged for longer (Config.Settle).
func openForWriting(string) (writing, known bool) { return false, false }
