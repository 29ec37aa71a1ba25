//go:build !failpoints

package cluster

// armFailpoints arms nothing: this binary was built without
// -tags failpoints (see failpoint.go).
func armFailpoints(*Config) error { return nil }
