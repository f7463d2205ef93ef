package keychain

import (
	"context"
	"sync"
)

const memoryBackend = "session memory"

// Memory keeps secrets in this process only: they are gone when it exits.
// Tests use it in place of the system keychain, and the GUI may offer it as
// "keep the secret for this session only" when no keychain is available.
type Memory struct {
	mu    sync.Mutex
	items map[string]Secret
	fail  error
}

// NewMemory returns an empty in-memory keychain.
func NewMemory() *Memory { return &Memory{items: map[string]Secret{}} }

// FailWith makes every later call return err (nil restores normal service),
// so tests can show what a user sees when the keychain breaks.
func (m *Memory) FailWith(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

func (m *Memory) String() string { return memoryBackend }

// Get returns the secret stored for account.
func (m *Memory) Get(ctx context.Context, account string) (Secret, error) {
	if err := checkArgs(memoryBackend, "read", account, nil); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return "", m.fail
	}
	s, ok := m.items[account]
	if !ok {
		return "", notFound(memoryBackend, "read", account)
	}
	return s, nil
}

// Set stores secret for account, replacing what was there.
func (m *Memory) Set(ctx context.Context, account string, secret Secret) error {
	if err := checkArgs(memoryBackend, "save", account, &secret); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.items[account] = secret
	return nil
}

// Delete removes the secret for account.
func (m *Memory) Delete(ctx context.Context, account string) error {
	if err := checkArgs(memoryBackend, "delete", account, nil); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if _, ok := m.items[account]; !ok {
		return notFound(memoryBackend, "delete", account)
	}
	delete(m.items, account)
	return nil
}
