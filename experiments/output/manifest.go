package output

import (
	"encoding/json"
	"fmt"
	"os"
)

// WriteManifest writes v as indented JSON (two spaces, trailing newline) to
// path, through a temporary file renamed into place.
func WriteManifest(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("output: manifest: %w", err)
	}
	b = append(b, '\n')
	return writeAtomic(path, func(f *os.File) error {
		if _, err := f.Write(b); err != nil {
			return fmt.Errorf("output: %w", err)
		}
		return nil
	})
}
