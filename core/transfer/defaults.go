package transfer

// DefaultOptions are the options items without their own get (the
// profile's folder, tags, preset and template), for a view that adds to
// them.
func (e *Engine) DefaultOptions() Options { return e.cfg.Options }
