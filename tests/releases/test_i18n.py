"""English and Spanish: every public page at /… and /es/…, the switcher and hreflang links, form
errors and e-mails in the requester's language, one address for files and data, and a Spanish
catalogue that is complete, consistent and compiled."""

import ast
import collections
import gettext
import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from releases import access, public_labels
from releases.models import AccessRequest, City, Exemption, Redaction
from tests.factories import UserFactory, file_access_request, published_rows

pytestmark = pytest.mark.django_db

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
BASE = "http://testserver"


def get(client, path, status=200, **headers):
    response = client.get(path, **headers)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def assert_language_links(html: str, *, lang: str, english: str, spanish: str) -> None:
    """The page says its language, links to itself in the other one, and names both (and
    English as x-default) as hreflang alternates, with absolute URLs."""
    assert f'<html lang="{lang}">' in html
    assert f'<link rel="alternate" hreflang="en" href="{BASE}{english}">' in html
    assert f'<link rel="alternate" hreflang="es" href="{BASE}{spanish}">' in html
    assert f'<link rel="alternate" hreflang="x-default" href="{BASE}{english}">' in html
    if lang == "es":
        assert f'<a href="{english}" lang="en" hreflang="en">English</a>' in html
        assert 'hreflang="es">Español</a>' not in html
    else:
        assert f'<a href="{spanish}" lang="es" hreflang="es">Español</a>' in html
        assert 'hreflang="en">English</a>' not in html


@pytest.fixture
def release():
    [release] = published_rows(1, title="Arresto en Griswold Street", summary="Un resumen.", summary_language="es")
    return release


# --- every public page, in both languages ------------------------------------------------


def test_every_public_page_is_in_spanish_under_es_and_unchanged_in_english(client, release):
    pages = [
        # English path, and an English text of the page that its Spanish version translates
        ("/", "Latest releases"),
        ("/releases/", "Feed of new releases (Atom)"),
        (f"/releases/{release.slug}/", "Encounter date"),
        ("/cities/detroit/", "Program phase"),
        ("/requests/new/", "Request body-worn camera footage"),
        ("/requests/", "Access request log"),
        ("/verify/", "Look it up"),
        ("/keys/", "How to verify a download"),
        ("/audit/", "Audit log"),
    ]
    for english, text in pages:
        spanish = f"/es{english}"
        with translation.override("es"):
            spanish_text = translation.gettext(text)
        assert spanish_text != text, f"no Spanish for {text!r}"
        html = get(client, spanish)
        assert spanish_text in html, spanish
        assert text not in html, spanish
        assert "Solicitar grabaciones</a>" in html, spanish  # the navigation
        assert "Portal de Transparencia de Cámaras Corporales del ICE</title>" in html, spanish
        assert_language_links(html, lang="es", english=english, spanish=spanish)

        html = get(client, english)
        assert text in html, english
        assert spanish_text not in html, english
        assert "ICE Body Camera Transparency Portal</title>" in html, english
        assert_language_links(html, lang="en", english=english, spanish=spanish)
    # Wording checked word for word on the pages this catalogue was written with.
    assert "Solicitar grabaciones de cámaras corporales" in get(client, "/es/requests/new/")
    assert "Verificar un archivo</h1>" in get(client, "/es/verify/")


def test_the_404_page_is_in_the_language_of_the_address(client):
    html = get(client, "/es/no-such-page/", status=404)
    assert '<html lang="es">' in html
    assert "Página no encontrada" in html
    assert '<a href="/" lang="en" hreflang="en">English</a>' in html  # nothing to translate: the home page
    assert 'hreflang="x-default"' not in html  # no alternates for an address that answers nothing
    html = get(client, "/no-such-page/", status=404)
    assert '<html lang="en">' in html
    assert "Page not found" in html
    # A page that exists but has nothing to show links to the same address in the other language.
    html = get(client, "/es/releases/no-such-release/", status=404)
    assert '<a href="/releases/no-such-release/" lang="en" hreflang="en">English</a>' in html


def test_the_switcher_keeps_the_query_string(client, release):
    html = get(client, "/es/requests/?city=detroit&status=open")
    assert '<a href="/requests/?city=detroit&amp;status=open" lang="en" hreflang="en">English</a>' in html
    assert f'hreflang="en" href="{BASE}/requests/?city=detroit&amp;status=open"' in html
    html = get(client, "/releases/?city=detroit")
    assert '<a href="/es/releases/?city=detroit" lang="es" hreflang="es">Español</a>' in html


def test_an_unprefixed_address_is_english_whatever_the_browser_asks_for(client, release):
    html = get(client, "/releases/", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="en">' in html
    assert "Released footage" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    html = get(client, "/requests/new/")
    assert '<html lang="en">' in html
    # Staff pages are English only, and have no switcher.
    html = get(client, "/staff/login/", HTTP_ACCEPT_LANGUAGE="es")
    assert "Español" not in html
    assert "Iniciar sesión" not in html


# --- one address for files and data ---------------------------------------------------


def test_files_and_data_keep_one_address_in_every_language(release):
    data = [
        ("public:media", {"name": "r/abc/video.mp4"}, "/media/r/abc/video.mp4"),
        ("public:manifest-json", {"slug": "x", "number": 1}, "/releases/x/v1/manifest.json"),
        ("public:manifest-signature", {"slug": "x", "number": 1}, "/releases/x/v1/manifest.sig"),
        ("public:current-key", {}, "/keys/current.pem"),
        ("public:audit-json", {}, "/audit.json"),
        ("public:request-log-csv", {}, "/requests/log.csv"),
        ("public:sitemap", {}, "/sitemap.xml"),
        ("public:redaction-log-json", {"slug": "x", "footage_id": "f"}, "/releases/x/footage/f/redactions.json"),
    ]
    with translation.override("es"):
        for name, kwargs, path in data:
            assert reverse(name, kwargs=kwargs) == path, name
        # Pages and feeds follow the language.
        assert reverse("public:release-list") == "/es/releases/"
        assert reverse("public:releases-feed") == "/es/feeds/releases/"
        assert reverse("public:request-status", kwargs={"token": "t"}) == "/es/requests/status/t/"
        for path in ("/es/media/r/abc/video.mp4", "/es/releases/x/v1/manifest.json", "/es/sitemap.xml"):
            with pytest.raises(Resolver404):
                resolve(path)
    with translation.override("en"):
        assert reverse("public:release-list") == "/releases/"
        with pytest.raises(Resolver404):
            resolve("/es/releases/")  # the prefix is the language: no Spanish page without Spanish active


def test_the_sitemap_lists_each_page_in_both_languages_with_alternates(client, release):
    body = get(client, "/sitemap.xml")
    for path in ("/", "/releases/", f"/releases/{release.slug}/", "/cities/detroit/"):
        assert f"<loc>{BASE}{path}</loc>" in body, path
        assert f"<loc>{BASE}/es{path}</loc>" in body, path
        assert f'hreflang="es" href="{BASE}/es{path}"' in body, path
        assert f'hreflang="x-default" href="{BASE}{path}"' in body, path
    assert "/es/media/" not in body
    assert "/es/requests/status/" not in body


def test_the_spanish_feeds_are_in_spanish_and_link_spanish_pages(client, release):
    body = get(client, "/es/feeds/releases/")
    assert "<title>Grabaciones de cámaras corporales publicadas</title>" in body
    assert f'href="{BASE}/es/releases/{release.slug}/"' in body
    assert 'xml:lang="es"' in body
    body = get(client, "/feeds/releases/")
    assert "<title>Released body-worn camera footage</title>" in body
    assert f'href="{BASE}/releases/{release.slug}/"' in body


# --- forms, the request pages and e-mails ---------------------------------------------


def test_the_request_form_answers_in_spanish_and_preselects_spanish_letters(client):
    html = get(client, "/es/requests/new/")
    assert re.search(r'<input type="radio" name="language" value="es"[^>]*checked', html)
    assert "Su nombre" in html
    html = get(client, "/requests/new/")
    assert re.search(r'<input type="radio" name="language" value="en"[^>]*checked', html)

    detroit = City.objects.get(slug="detroit")
    data = {"email": "rosa@example.org", "category": "individual", "subject": "self", "language": "es"}
    response = client.post("/es/requests/new/", {**data, "cities": [detroit.pk], "description": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Hay un problema" in html
    assert "Escriba su nombre." in html
    assert "Describa las grabaciones que solicita." in html
    assert "Enter your name." not in html
    assert '<html lang="es">' in html
    assert not AccessRequest.objects.exists()


def test_a_spanish_filing_leads_to_the_spanish_status_page_and_a_spanish_email(
    client, django_capture_on_commit_callbacks
):
    detroit = City.objects.get(slug="detroit")
    form = {
        "requester_name": "Rosa Martínez",
        "email": "rosa@example.org",
        "category": "individual",
        "subject": "self",
        "language": "es",
        "cities": [detroit.pk],
        "description": "El video de mi arresto frente a mi casa.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/es/requests/new/", form)
    assert response.status_code == 303
    req = AccessRequest.objects.get()
    assert req.language == "es"
    assert response["Location"].startswith("/es/requests/status/")

    html = get(client, response["Location"])
    assert "Solicitud recibida" in html
    assert "Recibida" in html  # the status
    assert "Guarde esta página en sus marcadores." in html

    [message] = mail.outbox
    assert message.subject == f"Recibimos su solicitud {req.tracking_number}"
    assert "Estimado(a) Rosa Martínez:" in message.body
    assert "días hábiles" in message.body
    assert "Número de seguimiento:" in message.body
    assert f"{settings.SITE_URL}/es/requests/status/" in message.body
    assert "working days" not in message.body
    assert "&#x27;" not in message.body
    assert "&amp;" not in message.body


def test_emails_follow_each_requesters_language_with_translated_statuses_and_exemptions(
    django_capture_on_commit_callbacks,
):
    officer = UserFactory(username="officer", role="Records officer")
    b7c = Exemption.objects.get(code="b7c")
    with django_capture_on_commit_callbacks(execute=True):
        spanish, _token = file_access_request(language="es", requester_name="José O'Neil & Hijos")
        english, _token = file_access_request(language="en", email="ann@example.org")
        for req in (spanish, english):
            access.decide(req, "deny", actor=officer, explanation="Se ven rostros de transeúntes.", exemptions=[b7c])
    by_subject = {m.subject: m for m in mail.outbox}
    es_ack = by_subject[f"Recibimos su solicitud {spanish.tracking_number}"]
    assert "Estimado(a) José O'Neil & Hijos:" in es_ack.body  # plain text: nothing HTML-escaped
    es_status = by_subject[f"Solicitud {spanish.tracking_number}: Denegada"]
    assert "(b)(7)(C) Privacidad personal (registros de aplicación de la ley)" in es_status.body
    assert "puede apelar hasta el" in es_status.body
    assert "/es/requests/status/" in es_status.body
    en_status = by_subject[f"Request {english.tracking_number}: Denied"]
    assert "(b)(7)(C) Personal privacy (law enforcement records)" in en_status.body
    assert "/es/" not in en_status.body


def test_the_spanish_status_page_and_request_log_translate_statuses_exemptions_and_placeholders(client):
    officer = UserFactory(username="officer", role="Records officer")
    req, token = file_access_request(
        language="es", expedite_requested=True, expedite_justification="Urgente.", expedite_certified=True
    )
    access.decide(req, "deny", actor=officer, explanation="Motivo.", exemptions=[Exemption.objects.get(code="b6")])

    html = get(client, f"/es/requests/status/{token}/")
    assert "<strong>Denegada</strong>" in html
    assert "Privacidad personal" in html
    assert "Información sobre personas cuya divulgación" in html
    assert "Personal privacy" not in html

    html = get(client, "/es/requests/")
    assert "<td>Reservado</td>" in html
    assert "<td>Resumen pendiente de revisión</td>" in html
    assert "<td>Denegada</td>" in html
    assert '<option value="open">Abiertas (pendientes de decisión)</option>' in html
    assert 'title="Privacidad personal"' in html
    html = get(client, f"/es/requests/{req.tracking_number}/")
    assert "Procesamiento acelerado</dt><dd>Pendiente" in html
    html = get(client, "/requests/")
    assert "<td>Withheld</td>" in html
    assert '<option value="open">Open (awaiting a decision)</option>' in html


def test_a_refusal_on_the_spanish_status_page_is_in_spanish_and_its_switcher_leads_to_the_page(client):
    req, token = file_access_request(language="es")
    access.withdraw(req, actor=access.REQUESTER_ACTOR, note="")
    path = f"/es/requests/status/{token}/withdraw/"
    response = client.post(path, {"confirm": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "No se puede retirar una solicitud en estado «retirada»." in html
    assert f'<a href="/requests/status/{token}/" lang="en" hreflang="en">English</a>' in html  # GET-able page


def test_the_verify_form_explains_a_wrong_fingerprint_in_spanish_with_plurals(client):
    html = get(client, "/es/verify/?sha256=abc")
    assert "Eso tiene 3 caracteres. Una huella digital SHA-256 tiene exactamente 64 caracteres." in html
    html = get(client, "/es/verify/?sha256=a")
    assert "Eso tiene 1 carácter." in html


# --- the catalogue ----------------------------------------------------------------------

Entry = collections.namedtuple("Entry", "context msgid plural msgstr flags")


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete ones, #~, left out)."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        fields, flags, current = {}, set(), None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current] += _unquote(line)
            else:
                current, _, value = line.partition(" ")
                fields[current] = _unquote(value)
        if "msgid" in fields:
            strings = [fields[k] for k in sorted(fields) if k.startswith("msgstr")]
            entries.append(Entry(fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strings, flags))
    return entries


PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%%|\{[a-z_]+\}|</?[a-z]+[^>]*>")


def test_every_catalogue_entry_is_translated_and_keeps_its_placeholders():
    entries = read_po(PO)
    assert len(entries) > 500
    header = entries[0]
    assert header.msgid == ""
    assert "Language: es" in header.msgstr[0]
    problems = []
    for entry in entries[1:]:
        label = f"{entry.context or ''}|{entry.msgid[:60]}"
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {label}")
        if not entry.msgstr or not all(entry.msgstr):
            problems.append(f"untranslated: {label}")
            continue
        sources = [entry.msgid] + ([entry.plural] * (len(entry.msgstr) - 1) if entry.plural else [])
        for source, text in zip(sources, entry.msgstr, strict=True):
            if (
                collections.Counter(PLACEHOLDER.findall(source)).keys()
                != collections.Counter(PLACEHOLDER.findall(text)).keys()
            ):
                problems.append(f"placeholders differ: {label}")
    assert problems == []


def test_the_compiled_catalogue_holds_every_entry_of_the_po():
    """Fails when the .po was edited and compilemessages (make messages) was not run."""
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    missing = []
    for entry in read_po(PO)[1:]:
        key = f"{entry.context}\x04{entry.msgid}" if entry.context is not None else entry.msgid
        if entry.plural is None:
            if catalog.get(key) != entry.msgstr[0]:
                missing.append(key)
        elif [catalog.get((key, n)) for n in range(len(entry.msgstr))] != entry.msgstr:
            missing.append(key)
    assert missing == []


def test_spanish_terms_follow_us_agency_usage():
    with translation.override("es"):
        assert translation.gettext("Expedited processing") == "Procesamiento acelerado"
        assert translation.gettext("Fee waiver") == "Exención de tarifas"
        assert translation.gettext("Tracking number") == "Número de seguimiento"
        home = translation.gettext(
            "In March 2024 U.S. Immigration and Customs Enforcement (ICE) began equipping officers with body-worn "
            "cameras, first in five cities. This portal publishes footage of encounters after it has been redacted "
            "to protect bystanders and reviewed by a second staff member."
        )
        assert "Servicio de Inmigración y Control de Aduanas" in home
        assert "cámaras corporales" in home
        request_form = translation.gettext(
            "Ask for footage that has not been published yet. This is a request under the Freedom of Information "
            "Act (5 U.S.C. 552). The agency must decide within 20 working days, and can extend that by up to 10 "
            "working days in unusual circumstances, telling you in writing."
        )
        assert "solicitud de acceso a registros" in request_form
        assert "días hábiles" in request_form
        assert translation.gettext("Exemption") == "Exención"


# --- stored English wording ------------------------------------------------------------


def test_the_label_tables_match_the_models_and_the_seeds():
    kinds = {value: str(label) for value, label in Redaction.Kind.choices}
    categories = {value: str(label) for value, label in Redaction.Category.choices}
    seeded = importlib.import_module("releases.migrations.0004_seed_exemptions").FOIA
    assert kinds == public_labels.REDACTION_KINDS
    assert categories == public_labels.REDACTION_CATEGORIES
    assert {code: (title, text) for code, _label, title, text in seeded} == public_labels.EXEMPTIONS
    for code, (title, description) in public_labels.EXEMPTIONS.items():
        row = Exemption.objects.get(code=code)
        assert (row.title, row.description) == (title, description)
    for city in City.objects.all():
        assert public_labels.CITY_DESCRIPTIONS[city.slug] == city.description
    with translation.override("es"):
        assert translation.gettext(public_labels.REDACTION_CATEGORIES["licence_plate"]) == "Placa del vehículo"
        assert translation.gettext("An exemption edited in the admin") == "An exemption edited in the admin"
