"""The SAM translator, as CloudFormation runs it on a change set (run with .venv-sam's Python).

    python tests/deploy/translate.py TEMPLATE [Name=Value ...] > translated.json

Exit 1 with the translator's reasons on stderr when it refuses the template.
"""

import json
import sys

import boto3
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse


def main() -> None:
    path, *pairs = sys.argv[1:]
    parameters = dict(pair.split("=", 1) for pair in pairs)
    with open(path, encoding="utf-8") as handle:
        template = yaml_parse(handle.read())
    translator = Translator(
        managed_policy_map=None, sam_parser=Parser(), plugins=[], boto_session=boto3.Session()
    )
    try:
        translated = translator.translate(
            sam_template=template, parameter_values=parameters, get_managed_policy_map=lambda: {}
        )
    except InvalidDocumentException as error:
        print("; ".join(str(cause) for cause in error.causes), file=sys.stderr)
        sys.exit(1)
    json.dump(translated, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
