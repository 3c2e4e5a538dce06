package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/lockstep-dev/lockstep/config"
	"github.com/lockstep-dev/lockstep/store"
	"github.com/spf13/cobra"
)

func init() {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys (roles: viewer < analyst < admin)",
		Long: `API keys authenticate every API request (Authorization: Bearer KEY).
Only a SHA-256 hash of a key is stored: the key itself is printed once, at
creation, and cannot be shown again.`,
	}
	var role, name string
	create := &cobra.Command{
		Use:   "create --role ROLE --name NAME",
		Short: "Create a key and print it (once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, ok := store.ParseRole(role)
			if !ok {
				return fmt.Errorf("keys create: --role must be viewer, analyst or admin, got %q", role)
			}
			return withStore(cmd.Context(), func(_ *config.Config, st *store.Store) error {
				k, secret, err := st.CreateAPIKey(cmd.Context(), name, r)
				if err != nil {
					return fmt.Errorf("keys create: %w", err)
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "created key", k.ID, "for", k.Name, "with role", k.Role, "- store it now, it is not shown again:")
				fmt.Fprintln(cmd.OutOrStdout(), secret)
				return nil
			})
		},
	}
	create.Flags().StringVar(&role, "role", "viewer", "viewer, analyst or admin")
	create.Flags().StringVar(&name, "name", "", "who or what uses the key (shown in the audit log)")
	_ = create.MarkFlagRequired("name")

	list := &cobra.Command{
		Use:   "list",
		Short: "List keys (ids, names, roles; never the keys)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), func(_ *config.Config, st *store.Store) error {
				keys, err := st.APIKeys(cmd.Context())
				if err != nil {
					return fmt.Errorf("keys list: %w", err)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tREVOKED")
				for _, k := range keys {
					revoked := "-"
					if k.RevokedAt != nil {
						revoked = k.RevokedAt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.CreatedAt.Format(time.RFC3339), revoked)
				}
				return tw.Flush()
			})
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke a key by id (or every key with that name); running servers honour it within 10 s",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withStore(cmd.Context(), func(_ *config.Config, st *store.Store) error {
				k, err := st.RevokeAPIKey(cmd.Context(), args[0])
				if err != nil {
					return fmt.Errorf("keys revoke %s: %w", args[0], err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), "revoked", k.ID, k.Name)
				return nil
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	rootCmd.AddCommand(cmd)
}
