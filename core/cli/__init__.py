"""core.cli.commands"""
