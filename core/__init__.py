"""What every app may use and no app owns: the outbound-connection guard (`core.net`),
durations, safe CSV downloads, the config-as-code framework, who may do what (API and admin). It imports no app."""
