"""What every app may use and no app owns: the outbound-connection guard (`core.net`),
durations, the config-as-code framework, who may do what (API and admin). It imports no app."""
