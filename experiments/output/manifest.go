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
	return WriteFile(path, append(b, '\n'))
}

// WriteFile writes data to path (creating its folder) through a temporary
// file renamed into place, so a reader never sees half of it.
func WriteFile(path string, data []byte) error {
	return writeAtomic(path, func(f *os.File) error {
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("output: %w", err)
		}
		return nil
	})
}
