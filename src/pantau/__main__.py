from pantau.cli.main import app

app(prog_name="pantau")
