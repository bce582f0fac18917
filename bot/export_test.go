package bot

// Contain exposes contain to the end-to-end tests, which cannot otherwise
// make a goroutine panic on demand.
func (a *App) Contain(what string, f func()) bool { return a.contain(what, f) }

// ResolveCoalesce is how long change events wait to be answered together.
const ResolveCoalesce = resolveCoalesce

// ListLimit is how many decisions a list shows.
const ListLimit = listLimit
