// compose-validate loads a Compose file the way `docker compose config` does, with compose-go
// (the library Docker Compose itself uses), so CI can check docker-compose.yml on a machine with
// no Docker engine: full JSON-schema validation, variable interpolation (a `${VAR:?message}`
// whose variable is unset fails), merge keys and anchors, and the model's consistency
// (depends_on naming a missing service, a volume or network that is not declared…).
//
//	compose-validate [-env-file FILE]… [-project-name NAME] [-json] [-os-env] docker-compose.yml…
//
// On success it prints "ok: <file>: N services" (or, with -json, the resolved project as JSON,
// for further checks by scripts/validate-compose.ts) and exits 0; on any problem it prints the
// loader's message on stderr and exits 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var envFiles multiFlag
	flag.Var(&envFiles, "env-file", "an env file for interpolation (repeatable); default: none")
	name := flag.String("project-name", "", "project name (default: the compose file's name: or its folder)")
	asJSON := flag.Bool("json", false, "print the resolved project as JSON")
	osEnv := flag.Bool("os-env", false, "also interpolate from this process's environment (as `docker compose` does)")
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: compose-validate [-env-file FILE]… [-json] [-os-env] docker-compose.yml…")
		os.Exit(2)
	}
	if err := run(files, envFiles, *name, *asJSON, *osEnv); err != nil {
		fmt.Fprintf(os.Stderr, "invalid: %s: %v\n", strings.Join(files, ", "), err)
		os.Exit(1)
	}
}

func run(files, envFiles []string, name string, asJSON, osEnv bool) error {
	for _, f := range append(append([]string{}, files...), envFiles...) {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	workDir, err := filepath.Abs(filepath.Dir(files[0]))
	if err != nil {
		return err
	}
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(workDir),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	}
	if osEnv {
		opts = append(opts, cli.WithOsEnv)
	}
	if name != "" {
		opts = append(opts, cli.WithName(name))
	}
	options, err := cli.NewProjectOptions(files, opts...)
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	if len(project.Services) == 0 {
		return fmt.Errorf("no services")
	}
	if asJSON {
		out, err := project.MarshalJSON()
		if err != nil {
			return err
		}
		fmt.Println(string(out))
		return nil
	}
	names := make([]string, 0, len(project.Services))
	for n := range project.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Printf("ok: %s: %d services (%s)\n", strings.Join(files, ", "), len(names), strings.Join(names, ", "))
	return nil
}
