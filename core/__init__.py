"""What every app may use and no app owns: the outbound-connection guard (`core.net`),
durations, the config-as-code framework, API permissions. It imports no app."""
