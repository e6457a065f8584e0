import re
from collections import Counter
from datetime import date

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import file_path, format_amount
from odoo.tools.translate import TranslationModuleReader

from .common import PrepaidHttpCommon

CATALOGS = {"fr": "fr_FR", "de": "de_DE", "es": "es_ES"}

# One translation per accounting term in each language, as the country's accountants and Odoo's
# own account app say it: an English text naming the term has a translation naming it the same way.
GLOSSARY = {
    r"deferred revenue": {
        "fr": r"produits constatés d'avance",
        "de": r"rechnungsabgrenzung",
        "es": r"ingresos diferidos",
    },
    r"credit notes?": {"fr": r"\bavoirs?\b", "de": r"gutschrift", "es": r"facturas? rectificativas?"},
    r"journal entr(y|ies)": {"fr": r"pièces? comptables?", "de": r"journalbuchung", "es": r"asientos? contables?"},
    r"journal items?": {"fr": r"écritures? comptables?", "de": r"buchungszeile", "es": r"apuntes? contables?"},
    r"timesheets?": {"fr": r"feuilles? de temps", "de": r"zeiterfassung", "es": r"partes? de horas"},
    r"top-?ups?": {"fr": r"recharg", "de": r"auflad", "es": r"recarg"},
    r"breakage": {"fr": r"droits non exercés", "de": r"verfall", "es": r"saldos caducados"},
    r"unclaimed": {"fr": r"non réclamé", "de": r"nicht beansprucht", "es": r"no reclamad"},
    r"analytic account": {"fr": r"compte analytique", "de": r"kostenstelle", "es": r"cuentas? analíticas?"},
    r"ledger entr": {"fr": r"mouvement", "de": r"bewegung", "es": r"movimiento"},
    r"prepaid services?\b": {"fr": r"services? prépayés?", "de": r"prepaid-leistung", "es": r"servicios? prepago"},
    r"\bcards?\b": {"fr": r"carte", "de": r"karte", "es": r"tarjeta"},
    r"allowance": {"fr": r"quota", "de": r"kontingent", "es": r"cupo"},
    r"overage": {"fr": r"dépassement", "de": r"mehrverbrauch", "es": r"exceso"},
    r"carr(y|ied).over": {"fr": r"report", "de": r"übertrag", "es": r"traspas"},
    r"recogni[sz]": {"fr": r"constat", "de": r"realisier", "es": r"reconoc"},
    r"refund": {"fr": r"rembours", "de": r"erstatt", "es": r"reembols"},
    r"revers": {"fr": r"extourn", "de": r"storn", "es": r"revert|reversi|revier"},
    r"\bpost(ed|s|ing)?\b": {"fr": r"comptabilis", "de": r"buch", "es": r"regist|regíst"},
}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\{\{.*?\}\}|<[^>]*>")


def _placeholders(text):
    """What a translation must keep verbatim: %(name)s, %s, {{ expressions }} and markup with its attributes."""
    return Counter(PLACEHOLDER.findall(text)), len(re.findall(r"(?<!%)%s", text))


@tagged("post_install", "-at_install")
class TestTranslationCatalogs(TransactionCase):
    """The French, German and Spanish catalogs translate every string the module shows, and keep what code reads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = polib.pofile(file_path("prepaid_services/i18n/prepaid_services.pot"))
        cls.catalogs = {lang: polib.pofile(file_path(f"prepaid_services/i18n/{lang}.po")) for lang in CATALOGS}

    def test_every_string_the_module_shows_is_in_the_template_and_translated(self):
        # read from the installed module's code, views and data as the export does: a new string fails here
        # until the template is exported again and every catalog translates it
        shown = {row[4] for row in TranslationModuleReader(self.env.cr, modules=["prepaid_services"])}
        template = {entry.msgid for entry in self.template}
        self.assertFalse(shown - template, "strings missing from i18n/prepaid_services.pot: export it again")
        for lang, catalog in self.catalogs.items():
            with self.subTest(lang=lang):
                translated = {e.msgid for e in catalog if e.msgstr.strip() and not e.fuzzy and not e.obsolete}
                self.assertFalse(template - translated, f"untranslated in {lang}.po")
                self.assertFalse({e.msgid for e in catalog} - template, f"{lang}.po holds strings no longer used")
                self.assertEqual(catalog.percent_translated(), 100)

    def test_translations_keep_placeholders_expressions_and_markup(self):
        for lang, catalog in self.catalogs.items():
            for entry in catalog:
                with self.subTest(lang=lang, msgid=entry.msgid[:80]):
                    self.assertEqual(_placeholders(entry.msgstr), _placeholders(entry.msgid))
                    # " (reversal)" is appended to a name: the space must stay
                    self.assertEqual(entry.msgstr[:1].isspace(), entry.msgid[:1].isspace())

    def test_catalogs_declare_their_language_plural_forms_and_utf8(self):
        for lang, catalog in self.catalogs.items():
            with self.subTest(lang=lang):
                self.assertEqual(catalog.metadata["Language"], lang)
                self.assertEqual(catalog.metadata["Content-Type"], "text/plain; charset=UTF-8")
                self.assertRegex(catalog.metadata["Plural-Forms"], r"^nplurals=2; plural=\(n [>!]=? ?1\);$")

    def test_accounting_terms_are_translated_the_same_way_everywhere(self):
        for lang, catalog in self.catalogs.items():
            for entry in catalog:
                text = PLACEHOLDER.sub("", entry.msgid)
                for english, translations in GLOSSARY.items():
                    if re.search(english, text, re.IGNORECASE):
                        with self.subTest(lang=lang, term=english, msgid=entry.msgid[:80]):
                            self.assertRegex(entry.msgstr, re.compile(translations[lang], re.IGNORECASE))


@tagged("post_install", "-at_install")
class TestTranslatedScreens(PrepaidHttpCommon):
    """Users working in French, German or Spanish read the module's screens, refusals and documents in their
    language, with figures as Odoo formats them for it."""

    # the context of Timesheets > My Timesheets (hr_timesheet.act_hr_timesheet_line)
    TIMESHEETS_ACTION_CONTEXT = {"search_default_week": 1, "is_timesheet": 1, "is_my_timesheets": 1}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # what Settings > Languages > Add does, for this module and the units it names
        for code in CATALOGS.values():
            cls.env["res.lang"]._activate_lang(code)
        modules = cls.env["ir.module.module"].search([("name", "in", ("uom", "prepaid_services"))])
        modules._update_translations(list(CATALOGS.values()), overwrite=True)
        cls.env["hr.employee"].create(
            {"name": "Technicien", "user_id": cls.role_users["timesheet"].id, "company_id": cls.company.id}
        )
        cls.card, _invoice = cls._sell(cls.block_product, 1000.0, on_date="2026-01-10")
        cls._assign(cls.card)

    def _rpc_in(self, lang, role, model, method, *args, context=None, **kwargs):
        """rpc() as the user of role working in lang: the web client sends the user's language in every call."""
        self.role_users[role].lang = lang
        return self.rpc(role, model, method, *args, context={"lang": lang, **(context or {})}, **kwargs)

    def test_card_fields_and_menus_read_in_the_users_language(self):
        menu = self.env.ref("prepaid_services.menu_prepaid_check_deferred_revenue")
        expected = {
            "fr_FR": ("Produits constatés d'avance", "Solde faible", "Contrôler les produits constatés d'avance"),
            "de_DE": ("Passive Rechnungsabgrenzung", "Niedriger Saldo", "Rechnungsabgrenzung prüfen"),
            "es_ES": ("Ingresos diferidos", "Saldo bajo", "Controlar ingresos diferidos"),
        }
        for lang, (deferred, low_balance, menu_name) in expected.items():
            with self.subTest(lang=lang):
                fields = self._rpc_in(
                    lang, "prepaid_manager", "prepaid.service", "fields_get", ["value_outstanding", "is_low_balance"]
                )
                self.assertEqual(fields["value_outstanding"]["string"], deferred)
                self.assertEqual(fields["is_low_balance"]["string"], low_balance)
                [read] = self._rpc_in(lang, "prepaid_manager", "ir.ui.menu", "read", menu.ids, ["name"])
                self.assertEqual(read["name"], menu_name)

    def test_status_bar_labels_reach_the_web_client_translated(self):
        # the card's status bar is drawn in JavaScript: its labels come from the web client's translations
        response = self.url_open("/web/webclient/translations?mods=prepaid_services&lang=de_DE")
        messages = {m["id"]: m["string"] for m in response.json()["modules"]["prepaid_services"]["messages"]}
        self.assertEqual((messages["Open"], messages["Closed"]), ("Offen", "Geschlossen"))

    def test_refused_timesheet_reads_in_french_with_french_figures(self):
        self.card.overdraw_policy = "block"
        # 10 hours sold: 8.5 logged, 2.5 more asked
        self._rpc_in(
            "fr_FR",
            "timesheet",
            "account.analytic.line",
            "create",
            {"project_id": self.project.id, "task_id": self.task.id, "unit_amount": 8.5, "date": "2026-02-02"},
            context=self.TIMESHEETS_ACTION_CONTEXT,
        )
        error = self.assertRpcRefused(
            "timesheet",
            "account.analytic.line",
            "create",
            {"project_id": self.project.id, "task_id": self.task.id, "unit_amount": 2.5, "date": "2026-02-03"},
            context={"lang": "fr_FR", **self.TIMESHEETS_ACTION_CONTEXT},
        )
        self.assertIn(
            f"Le service prépayé {self.card.display_name} de {self.customer.name} ne peut pas couvrir "
            "2,50 Heures\u00a0: il n'y a que 1,50 Heures de disponible et il manque 1,00 Heures.",
            error.message,
        )
        self.assertEqual(self.card.quantity_outstanding, 1.5)

    def test_refusal_with_an_amount_reads_in_spanish_with_spanish_figures(self):
        self.role_users["prepaid_manager"].lang = "es_ES"
        money_card, _invoice = self._sell(self.balance_product, 500.0, on_date="2026-01-10")
        error = self.assertRpcRefused(
            "prepaid_manager",
            "prepaid.service",
            "write",
            money_card.ids,
            {"hourly_rate": -1234.5},
            context={"lang": "es_ES"},
        )
        rate = format_amount(self.env(context={"lang": "es_ES"}), -1234.5, self.currency)
        self.assertIn(f"La tarifa por hora de {money_card.display_name} no puede ser negativa ({rate})", error.message)
        self.assertIn("1.234,50", rate)  # Spanish separators
        self.assertEqual(money_card.hourly_rate, 0.0)

    def test_french_customer_reads_the_statement_in_french(self):
        self._use(self.card, 3, date(2026, 1, 20))
        self.customer.lang = "fr_FR"
        portal = self.role_users["portal"]
        self.authenticate(portal.login, f"{portal.login}_pwd")
        response = self.url_open(f"/my/prepaid/{self.card.id}/statement?date_from=2026-01-01&date_to=2026-01-31")
        self.assertEqual(response.status_code, 200)
        # under tests Odoo renders reports as HTML instead of calling wkhtmltopdf
        self.assertTrue(response.headers["Content-Type"].startswith("text/html"))
        page = response.content.decode()
        for text in ("Relevé des services prépayés", "Solde initial", "Solde de clôture", "Recharges ouvertes au"):
            self.assertIn(text, page)
        self.assertIn("700,00", page)  # the value of the 7 hours left, as French writes it
        self.assertNotIn("Opening balance", page)
