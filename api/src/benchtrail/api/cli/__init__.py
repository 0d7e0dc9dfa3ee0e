"""The api's ``benchtrail`` subcommands (:mod:`benchtrail.api.cli.commands`) and their rendering."""
