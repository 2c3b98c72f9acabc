# The README's two commands: `make run` and `make test`. Both install what they need.
.PHONY: run test setup

run:
	bash .ci/setup run
	.venv/bin/python app.py

test:
	bash .ci/test
