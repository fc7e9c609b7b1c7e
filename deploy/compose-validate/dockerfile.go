package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// validateDockerfile parses a Dockerfile with BuildKit's own parser (the one `docker build`
// runs) and its build checks (the rules `docker build --check` applies: JSON-form CMD, undefined
// variables, casing, …). A parse error or any check's warning is a problem.
func validateDockerfile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	var problems []string
	for _, w := range res.Warnings {
		problems = append(problems, fmt.Sprintf("%s:%d: %s", path, w.Location.Start.Line, w.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, url, msg string, location []parser.Range) {
		line := 0
		if len(location) > 0 {
			line = location[0].Start.Line
		}
		problems = append(problems, fmt.Sprintf("%s:%d: %s: %s (%s)", path, line, rule, msg, url))
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	commands := 0
	for _, s := range stages {
		commands += len(s.Commands)
	}
	return fmt.Sprintf("ok: %s: %d stage(s), %d instructions after FROM", path, len(stages), commands), nil
}
