"""One-off developer tool: curate SSB's printed figures into data/published/.

Reads the reference folder ``ssb_published/`` (observations.csv + pages.md, kept beside the
project, not on users' machines) and the committed harvest of further printed figures
(``tools/harvest/ssb_pages_2026.csv``, see tools/harvest/README.md), and writes:

  data/published/observations.csv   one row per printed value, tidy codes + the printed labels
  data/published/pages.csv          one row per page: title, release date, statistic, footnotes
  data/published/revisions.csv      every duplicate that was not kept, with the reason
  + a ``.meta.json`` sidecar (sha256) beside each of the three files

Run:  .venv/bin/python tools/import_published.py [--source /work/shared/data/ssb_published] [--harvest FILE]

Rules (also in data/published/README.md):
- rows from non-SSB pages (note ``SECONDARY``) are skipped; ``CAUTION`` rows are kept with the
  caveat in ``note``;
- every population group, sex, age, region and botid label is mapped deliberately: groups
  through GROUP_CODES below (with page-specific GROUP_OVERRIDES where SSB used the same words for
  different populations), the rest through the ``ssb_labels`` of data/codes.yml (with
  REGION_OVERRIDES). A label without a mapping stops the import and is listed;
- values are written exactly as printed;
- the same figure printed more than once (same series, year, period and codes) is kept once:
  the newest release wins (RELEASED below gives each page's release date), except that a newer
  page repeating the figure rounded does not replace the more precise one. The others go to
  revisions.csv with the reason;
- a figure SSB is known to have corrected later, where the snapshot holds only an earlier
  version (declared with its source in tools/harvest/known_revisions.csv), keeps its value and
  gets ``SUPERSEDED: <what SSB corrected> Kilde: <page> (<date>).`` in ``note``.

The package never imports this file.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlparse

from indikatorer.core import paths
from indikatorer.core.codes import load_codes
from indikatorer.data.published import (COLUMNS, GEOGRAPHIES_FILE, GEOGRAPHY_COLUMNS, OBSERVATIONS_FILE, PAGES_FILE,
                                        REVISIONS_FILE, parse_printed_value)
from indikatorer.data.snapshot import ATTRIBUTION, display_path, write_with_sidecar

sys.path.insert(0, str(Path(__file__).resolve().parent))
import import_exports as exports  # noqa: E402  (the sibling tool: regional exports, printed changes)

DEFAULT_SOURCE = Path("/work/shared/data/ssb_published")
DEFAULT_SHARED = Path("/work/shared/data")
HARVEST_FILE = Path(__file__).resolve().parent / "harvest" / "ssb_pages_2026.csv"
# Figures SSB is known to have corrected after the version the snapshot holds (the source of each
# piece of knowledge in the file): the import marks them SUPERSEDED in `note`.
KNOWN_REVISIONS_FILE = Path(__file__).resolve().parent / "harvest" / "known_revisions.csv"
KNOWN_REVISION_COLUMNS = ["series", "years", "first_versions_before", "source_url", "source_released",
                          "printed_text", "what"]
LICENCE = "Fri gjenbruk med kildehenvisning (SSB: NLOD for innhold på ssb.no, CC BY 4.0 for statistikkbanken)"

# --------------------------------------------------------------------------- group labels
# The reference file writes SSB's group wording lower-cased with underscores. None means the
# words were used for different populations on different pages: every page must be decided in
# GROUP_OVERRIDES.
GROUP_CODES = {
    "innvandrere": "innvandrere",
    "norskfodte_med_innvandrerforeldre": "norskfodte",
    "norskfodte_med_to_innvandrerforeldre": "norskfodte",  # SSB's definition: two foreign-born parents
    "innvandrere_og_norskfodte_med_innvandrerforeldre": "innvandrerbakgrunn",
    "innvandrarar_og_norskfodde_med_innvandrarforeldre": "innvandrerbakgrunn",  # nynorsk
    "personer_med_innvandrerbakgrunn": "innvandrerbakgrunn",
    "hele_befolkningen": "hele_befolkningen",
    "personer_med_flyktningbakgrunn": "flyktningbakgrunn",
    "flyktninger": "flyktningbakgrunn",  # Samfunnsspeilet 2010: SSB's older name for the same group
    # Everyone but immigrants (norskfødte included).
    "befolkningen_eksklusive_innvandrere": "befolkningen_uten_innvandrere",
    "befolkningen_uten_innvandrere": "befolkningen_uten_innvandrere",  # 324518: 5 053 468 - 674 701 = 4 378 767
    "ikke_innvandrere": "befolkningen_uten_innvandrere",  # 291575: all 10 621 = immigrants + non-immigrants
    "ovrige_bosatte": "ovrige_bosatte",
    # Everyone but immigrants and norskfødte.
    "den_ovrige_befolkningen": "befolkningen_ellers",  # 342044: the printed counts add up that way
    "befolkningen_uten_innvandrerbakgrunn": "befolkningen_ellers",
    "ikke_innvandrer_eller_norskfodt_med_innvandrerforeldre": "befolkningen_ellers",
    "befolkninga_elles": "befolkningen_ellers",  # soshjelpk 2009: "med og uten innvandrarbakgrunn"
    "befolkningen_for_ovrig": "befolkningen_ellers",  # 451991 lists norskfødte separately
    "befolkningen_ellers": None,
    "resten_av_befolkningen": "resten_av_befolkningen",  # surveys; the page does not say
    "norske_statsborgere_med_innvandrerbakgrunn": "norske_statsborgere_med_innvandrerbakgrunn",
    "norske_statsborgere_uten_innvandrerbakgrunn": "norske_statsborgere_uten_innvandrerbakgrunn",
    "utenlandske_statsborgere": "utenlandske_statsborgere",
    "personer_som_fikk_norsk_statsborgerskap": "nye_norske_statsborgere",
    "forstegangsvelgere_med_innvandrerbakgrunn": "forstegangsvelgere_med_innvandrerbakgrunn",
    "nye_statsborgere_innvandrere_forstegangsvelgere": "nye_statsborgere_forstegangsvelgere",
    "barn_med_innvandrerbakgrunn": "barn_med_innvandrerbakgrunn",
    "innvandrerbarn": "barn_med_innvandrerbakgrunn",  # 167992: "barn med og uten innvandrerbakgrunn"
    "andre_barn": "andre_barn",
    "alle_barn": "alle_barn",
    "minoritetsspraklige_barn": "minoritetsspraklige_barn",
    # The kindergarten statistics' older name (tables for «Barn og unge» 2011, nynorsk «barn frå språklege og
    # kulturelle minoritetar»): children with another mother tongue than Norwegian, Sami, Swedish, Danish and
    # English, the group later called minoritetsspråklige barn.
    "barn_fra_spraklige_og_kulturelle_minoriteter": "minoritetsspraklige_barn",
    "alle_barn_i_barnehage": "alle_barn_i_barnehage",
    "ikke_bosatte": "ikke_bosatte",
    "alle_jobbtakere": "i_alt",  # all jobs in the table, non-residents included
    "alle": "i_alt",  # all candidates / representatives
    "innvandrerhusholdninger": "innvandrerhusholdninger",
    "ovrige_husholdninger": "ovrige_husholdninger",
    "personer_i_husholdninger_med_innvandrer_som_hovedinntektstaker": "hovedinntektstaker_innvandrer",
    "personer_i_husholdninger_med_norskfodt_med_innvandrerforeldre_som_hovedinntektstaker":
        "hovedinntektstaker_norskfodt",
    "sosialhjelpsmottakere": "sosialhjelpsmottakere",
    "uoppgitt": "uoppgitt",
    "innvandrere_vs_befolkningen_eksklusive_innvandrere": "innvandrere_vs_befolkningen_uten_innvandrere",
    "fodt_i_norge_med_norskfodte_foreldre": "fodt_i_norge_med_norskfodte_foreldre",
    "norskfodte_med_en_utenlandsfodt_forelder": "norskfodte_med_en_utenlandsfodt_forelder",
    "utenlandsfodte_med_en_norskfodt_forelder": "utenlandsfodte_med_en_norskfodt_forelder",
    "utenlandsfodte_med_norskfodte_foreldre": "utenlandsfodte_med_norskfodte_foreldre",
}

_INTRO_ARTICLES = "https://www.ssb.no/utdanning/voksenopplaering/statistikk/introduksjonsordningen-for-nyankomne-innvandrere/artikler"
_EMPLOYMENT_ARTICLES = "https://www.ssb.no/arbeid-og-lonn/sysselsetting/statistikk/sysselsetting-blant-innvandrere-registerbasert/artikler"
_EMPLOYMENT_REST = (
    "befolkningen_uten_innvandrere",
    "'resten av befolkningen' in the employment articles is befolkningen eksklusive innvandrere: "
    "2021's 79.2 is 2020's 78.1 for that group (release 2021-03-19) plus the printed 1.1 points, "
    "and 2023's 79.8 is printed as 'befolkningen ekskl. innvandrere' on hvor-mye-jobber-innvandrere-i-norge",
)
# (page, label) → (code, why). Used where the same words mean different populations.
GROUP_OVERRIDES = {
    (_EMPLOYMENT_ARTICLES, "befolkningen_ellers"): _EMPLOYMENT_REST,
    (f"{_EMPLOYMENT_ARTICLES}/flere-innvandrere-i-jobb-i-fjor", "befolkningen_ellers"): _EMPLOYMENT_REST,
    ("https://www.ssb.no/bygg-bolig-og-eiendom/bolig-og-boforhold/statistikk/boforhold-registerbasert/"
     "artikler/okt-eierandel-blant-innvandrere", "befolkningen_ellers"): (
        "befolkningen_uten_innvandrere",
        "the article compares immigrants with 'den øvrige befolkningen' without naming it, but its "
        "figures only add up with norskfødte included: immigrants were about 15 % of the population "
        "in 2022, and 0.85 × 85 + 0.15 × 60 ≈ 81 is the whole population's 81.6–81.8 % (boforhold "
        "2020 and 2023); in Oslo (immigrants about a quarter) 0.75 × 79 + 0.25 × 57 ≈ 74 is the "
        "printed 74. Had norskfødte been left out of the 85 and 79, they would need a higher ownership "
        "share than the rest of the population for the totals to add up, far above their parents' 60 and 57"),
    ("https://www.ssb.no/sosiale-forhold-og-kriminalitet/artikler-og-publikasjoner/"
     "over-halvparten-av-sosialhjelpsutbetalingene-gar-til-innvandrere", "ikke_innvandrere"): (
        "befolkningen_ellers",
        "the article gives norskfødte separately (27 400 kr) and its 23 200 kr for 'ikke-innvandrere' "
        "is 'befolkningen for øvrig' in table 451991"),
}

# (page, region label) → (code, why). The 2005–2009 election surveys split by continent, and
# the page does not say where Tyrkia is, so their "Asia" is not SSB's world region Asia med Tyrkia.
_CONTINENT_ASIA = ("asia_verdensdel", "continent split in the election survey; the page does not say whether Tyrkia is in Asia")
REGION_OVERRIDES = {
    ("https://www.ssb.no/a/kortnavn/vundinnv/arkiv/tab-2006-02-16-04.html", "Asia"): _CONTINENT_ASIA,
    ("https://www.ssb.no/a/kortnavn/vundkinnv/tab-2008-02-28-04.html", "Asia"): _CONTINENT_ASIA,
    ("https://www.ssb.no/a/kortnavn/vundinnv/tab-2010-01-14-04.html", "Asia"): _CONTINENT_ASIA,
}

# --------------------------------------------------------------------------- release dates
# Page → (release date, basis). "page"/"url": printed on the page or in its address. Estimates
# say what they rest on: SSB's release cycles (registered unemployment among immigrants: a
# quarter's figures about six weeks after it ends, so Q1 → May, Q2 → August, Q3 → November,
# Q4 → February; employment among immigrants: 4th quarter figures in June up to 2016, in March
# from 2018), and statbank table ids, which SSB numbers in order of creation.
RELEASED = {
    # --- work: innvregsys
    "https://www.ssb.no/arbeid-og-lonn/statistikker/innvregsys/aar/2016-06-08?fane=tabell&sort=nummer&tabell=268451": ("2016-06-08", "page"),
    "https://www.ssb.no/arbeid-og-lonn/statistikker/innvregsys/aar/2021-03-19": ("2021-03-19", "page"),
    "https://ssb.no/en/arbeid-og-lonn/statistikker/innvregsys/aar/2020-03-02": ("2020-03-02", "page"),
    "https://www.ssb.no/en/arbeid-og-lonn/statistikker/innvregsys/aar/2019-03-05": ("2019-03-05", "page"),
    "https://ssb.no/230332/sysselsatte-i-alt-og-sysselsatte-innvandrere-etter-verdensregion.absolutte-tall-og-i-prosent-av-personer-15-74-%C3%A5r-i-hver-gruppe.4.kvartal": ("2015-06-01", "estimated: year printed (2015), June release of 4th quarter figures"),
    "https://www.ssb.no/342044/sysselsatte-20-66-ar-etter-innvandrerkategori-verdensregion-og-alder.4.kvartal": ("2018-03-01", "estimated: month printed (2018-03), day unknown"),
    "https://www.ssb.no/268656/sysselsatte-etter-innvandrerkategori-landbakgrunn-verdensregion-og-alder.absolutte-tall-og-i-prosent-av-personer-i-alt-i-hver-gruppe.4.kvartal": ("2016-06-08", "estimated: the 4th quarter 2015 release of 2016-06-08 (table 268451)"),
    "https://ssb.no/268662/sysselsatte-etter-innvandrerbakgrunn-landbakgrunn-og-alder.absolutte-tall-og-i-prosent-av-personer-i-alt-i-hver-gruppe.4.kvartal": ("2016-06-08", "estimated: the 4th quarter 2015 release of 2016-06-08 (table 268451)"),
    "http://www.ssb.no/124188/employed-by-immigrant-background-world-region-and-age.absolute-figures-and-in-per-cent-of-persons-in-total-in-each-group.q4": ("2013-06-01", "estimated: June release of 4th quarter 2012 figures"),
    "https://www.ssb.no/arbeid-og-lonn/artikler-og-publikasjoner/innvandringen-okte-sysselsettingen?tabell=152240": ("2013-07-01", "estimated: year printed (2013)"),
    "https://statbank.ssb.no/288387/sysselsatte-15-74-ar-i-prosent-av-registrert-arskull.menn-og-kvinner-etter-landbakgrunn.4.kvartal-2015": ("2017-04-01", "estimated: table id between 284937 (2017-02-16) and 294041 (2017-06-27)"),
    "https://www.ssb.no/arbeid-og-lonn/artikler-og-publikasjoner/nedgang-i-sysselsettingen-blant-innvandrere?tabell=449127": ("2021-06-01", "estimated: table id after 445345 and 436217 (2021-03-19)"),
    f"{_EMPLOYMENT_ARTICLES}/flere-innvandrere-i-jobb-i-fjor": ("2022-03-03", "page"),
    f"{_EMPLOYMENT_ARTICLES}/sysselsettingen-blant-innvandrere-var-uendret-i-2022": ("2023-03-09", "page"),
    f"{_EMPLOYMENT_ARTICLES}/noko-lagare-sysselsetting-blant-innvandrarar-i-2023": ("2024-03-05", "page"),
    "https://www.ssb.no/arbeid-og-lonn/sysselsetting/artikler/hvor-mye-jobber-innvandrere-i-norge": ("2024-07-01", "estimated: year printed (2024), after the 2024-03-05 release it quotes"),
    "https://www.ssb.no/a/kortnavn/innvregsys/tab-2012-06-21-04.html": ("2012-06-21", "page"),
    "https://www.ssb.no/a/en/static/innvregsys_en/tab-2006-06-22-04-en.html": ("2006-06-22", "url"),
    "https://www.ssb.no/befolkning/artikler-og-publikasjoner/flyktninger-i-norge?tabell=244642": ("2015-12-01", "estimated: table id after 230332 (2015), article dated 2015/16"),
    # --- work: jobs
    "https://ssb.no/367772/antall-arbeidsforhold-etter-innvandringskategori-og-landbakgrunn": ("2018-12-01", "estimated: 3rd quarter 2018 figures; table id between 357436 (2018-08-21) and 377550"),
    "https://www.ssb.no/428536/antall-jobber-etter-innvandringskategori-og-landbakgrunn": ("2020-09-01", "estimated: 2nd quarter 2020 figures"),
    "https://ssb.no/453287/antall-jobber-etter-innvandringskategori-og-landbakgrunn": ("2021-06-01", "estimated: 1st quarter 2021 figures"),
    # --- work: innvarbl (registered unemployment)
    "https://statbank.ssb.no/445345/registrerte-helt-arbeidsledige-etter-innvandringsbakgrunn-landbakgrunn-verdensregion-og-kjonn.absolutte-tall-og-i-prosent-av-arbeidsstyrken-i-hver-gruppe": ("2021-03-01", "estimated: year printed (2021), 4th quarter 2020 figures"),
    "https://www.ssb.no/en/arbeid-og-lonn/statistikker/innvarbl/kvartal/2018-02-15?fane=tabell&sort=nummer&tabell=339641": ("2018-02-15", "page"),
    "https://ssb.no/306570/registered-unemployed-by-immigrant-background-region-of-birth-and-sex.in-absolute-figures-and-in-per-cent-of-the-labour-force": ("2017-08-15", "estimated: 2nd quarter 2017 figures"),
    "https://ssb.no/418142/registrerte-helt-arbeidsledige-etter-innvandringsbakgrunn-landbakgrunn-verdensregion-og-kjonn.absolutte-tall-og-i-prosent-av-arbeidsstyrken": ("2020-05-15", "estimated: 1st quarter 2020 figures"),
    "https://ssb.no/377550/registrert-helt-arbeidsledige-etter-innvandringsbakgrunn-og-verdensregion": ("2019-02-15", "estimated: 4th quarter 2018 figures"),
    "https://www.ssb.no/386796/registrert-helt-arbeidsledige-etter-innvandringsbakgrunn-og-verdensregion": ("2019-05-15", "estimated: 1st quarter 2019 figures"),
    "http://www.ssb.no/innvarbl/": ("2017-02-16", "page"),
    "https://statbank.ssb.no/arbeid-og-lonn/arbeidsledighet/artikler/forskjellen-i-ledighet-mellom-innvandrere-og-befolkningen-ellers-er-lite-endret/tabell-3.registrerte-helt-ledige-etter-innvandrerbakgrunn.i-prosent-av-arbeidsstyrken-i-hver-gruppe.2019-2020": ("2021-03-01", "estimated: article 2021 with figures to the 4th quarter 2020"),
    "https://www.ssb.no/arbeid-og-lonn/artikler-og-publikasjoner/ledigheten-blant-innvandrere-pa-naermere-18-prosent-i-mars?tabell=418527": ("2020-04-15", "estimated: figures for March 2020"),
    "https://ssb.no/275353/registrerte-helt-arbeidsledige-etter-landbakgrunn-verdensregion-og-antall-ar-bosatt-i-norge.absolutte-tall-og-i-prosent-av-personer-i-alt-15-74-ar-i-hver-gruppe": ("2016-08-15", "estimated: 2nd quarter 2016 figures"),
    "https://ssb.no/306650/registrerte-helt-arbeidsledige-etter-landbakgrunn-verdensregion-og-antall-ar-bosatt-i-norge.absolutte-tall-og-i-prosent-av-personer-i-alt-15-74-ar-i-hver-gruppe": ("2017-05-15", "estimated: 1st quarter 2017 figures"),
    "https://www.ssb.no/eksport/tabell.csv?key=418141": ("2020-05-15", "estimated: 1st quarter 2020 figures"),
    "https://ssb.no/254616/registrerte-helt-arbeidsledige-etter-kjonn-innvandringsbakgrunn-to-delt-landbakgrunn-og-alder.absolutte-tall-og-i-prosent-av-arbeidsstyrken-i-hver-gruppe": ("2016-02-15", "estimated: 4th quarter 2015 figures"),
    "https://ssb.no/357432/registrerte-helt-arbeidsledige-etter-innvandringsbakgrunn-to-delt-landbakgrunn-og-bostedsfylke.absolutte-tall-og-i-prosent-av-arbeidsstyrken-i-hver-gruppe": ("2018-08-21", "estimated: the 2nd quarter 2018 release of 2018-08-21 (table 357436)"),
    "https://www.ssb.no/288389/arbeidsledige-innvandrere-og-deltakere-pa-tiltak-15-74-ar.menn-og-kvinner-etter-landbakgrunn.2.kvartal-2016.prosent": ("2017-04-01", "estimated: table id between 284937 (2017-02-16) and 294041 (2017-06-27)"),
    "https://ssb.no/349507/registered-unemployed-by-region-of-birth-and-time-of-residence-in-norway.absolute-figures-and-in-per-cent-of-persons-in-total-aged-15-74-years-in-each-group": ("2018-05-15", "estimated: 1st quarter 2018 figures"),
    "https://ssb.no/164300/registered-unemployed-by-region-of-birth-and-time-of-residence-in-norway.absolute-figures-and-in-per-cent-of-persons-in-total-aged-15-74-years-in-each-group": ("2014-02-15", "estimated: 4th quarter 2013 figures"),
    "https://ssb.no/216038/registered-unemployed-by-region-of-birth-and-time-of-residence-in-norway.absolute-figures-and-in-per-cent-of-persons-in-total-aged-15-74-years-in-each-group": ("2015-02-15", "estimated: 4th quarter 2014 figures"),
    "https://ssb.no/306592/registered-unemployed-by-region-of-birth-and-time-of-residence-in-norway.absolute-figures-and-in-per-cent-of-persons-in-total-aged-15-74-years-in-each-group": ("2017-11-15", "estimated: 3rd quarter 2017 figures"),
    "https://www.ssb.no/436401/registered-unemployed-by-region-of-birth-and-time-of-residence-in-norway.absolute-figures-and-in-per-cent-of-persons-in-total-aged-15-74-years-in-each-group": ("2020-11-15", "estimated: 3rd quarter 2020 figures"),
    "https://ssb.no/en/arbeid-og-lonn/statistikker/innvarbl/kvartal/2018-08-21?fane=tabell&tabell=357436": ("2018-08-21", "page"),
    "https://www.ssb.no/428014/participants-on-ordinary-labour-market-schemes-job-programmes-by-immigrant-background-region-of-birth-and-sex.absolute-numbers-and-in-per-cent-of-persons-aged-15-to-74-years": ("2020-08-15", "estimated: 2nd quarter 2020 figures"),
    "https://www.ssb.no/254630/participants-on-ordinary-labour-market-schemes-job-programmes-by-immigrant-background-region-of-birth-and-sex.absolute-numbers-and-in-per-cent-of-persons-aged-15-to-74-years": ("2016-02-15", "estimated: 4th quarter 2015 figures"),
    # --- education: introduction programme
    "https://www.ssb.no/utdanning/statistikker/introinnv/aar-tidligere-deltakere": ("2018-12-20", "page"),
    "https://ssb.no/introinnv": ("2024-06-01", "estimated: statistics page as read, with 2023 figures"),
    "https://www.ssb.no/en/introinnv": ("2025-06-01", "estimated: statistics page as read, with 2024 figures"),
    "https://www.ssb.no/utdanning/statistikker/introinnv/aar-deltakere": ("2017-06-27", "page"),
    f"{_INTRO_ARTICLES}/flere-kvinner-og-menn-i-arbeid-eller-utdanning-etter-endt-introduksjonsprogram": ("2022-10-03", "list: date of its ingress on the article list"),
    f"{_INTRO_ARTICLES}/flere-i-arbeid-eller-utdanning-etter-endt-introduksjonsprogram": ("2024-02-19", "list: date of its ingress on the article list"),
    "https://www.ssb.no/utdanning/voksenopplaering/artikler/tidligere-deltakere-i-introduksjonsordningen-2005-2019": ("2022-07-01", "estimated: year printed (2022)"),
    "https://statbank.ssb.no/en/utdanning/statistikker/introinnv/aar-tidligere-deltakere/2015-12-21": ("2015-12-21", "url"),
    "https://ssb.no/en/utdanning/artikler-og-publikasjoner/tidligere-deltakere-i-introduksjonsordningen-2009-2013": ("2016-07-01", "estimated: Reports 2016/24"),
    "https://statbank.ssb.no/en/utdanning/artikler-og-publikasjoner/tidligere-deltakere-i-introduksjonsprogrammet-2007-2011": ("2014-07-01", "estimated: report on the 2011 cohort (status November 2012)"),
    # --- education: school, kindergarten, level, Norwegian training
    "https://www.ssb.no/utdanning/videregaende-utdanning/statistikk/gjennomforing-i-videregaende-opplaering/artikler/flere-innvandrere-fullforer-studieforberedende-pa-normert-tid": ("2021-06-01", "estimated: month printed (2021-06)"),
    "https://www.ssb.no/utdanning/artikler-og-publikasjoner/hvordan-gar-det-med-innvandrere-og-deres-barn-i-skolen?tabell=313377": ("2017-12-01", "estimated: Innvandrere i Norge 2017; table id between 306592 and 339641 (2018-02-15)"),
    "https://www.ssb.no/a/kortnavn/vgogjen/tab-2012-05-30-05.html": ("2012-05-30", "page"),
    "https://www.ssb.no/a/samfunnsspeilet/utg/201205/05/tab-2012-12-11-04.html": ("2012-12-11", "url"),
    "https://ssb.no/181258/innvandrer-16-%C3%A5r-og-over-etter-utdanningsniv%C3%A5-og-landbakgrunn": ("2014-06-01", "estimated: 2013 figures; table id between 167992 and 210823"),
    "https://ssb.no/225176/immigrants-16-years-and-over-by-level-of-education-sex-and-region": ("2015-06-01", "estimated: 2014 figures; table id between 216038 (2015-02) and 230332 (2015)"),
    "https://www.ssb.no/a/kortnavn/utniv/tab-2012-06-19-06.html": ("2012-06-19", "url"),
    "https://www.ssb.no/utdanning/voksenopplaering/statistikk/norskopplaering-for-voksne-innvandrere": ("2023-06-29", "page"),
    "https://statbank.ssb.no/utdanning/statistikker/nopplinnv": ("2020-06-11", "page"),
    "https://www.ssb.no/utdanning/voksenopplaering/statistikk/norskopplaering-for-voksne-innvandrere/artikler/antall-deltakere-i-norskopplaering-fortsetter-a-synke": ("2021-06-01", "estimated: article on 2020, annual June release"),
    "https://www.ssb.no/utdanning/artikler-og-publikasjoner/faerre-innvandrere-deltok-i-norskopplaering": ("2020-06-11", "estimated: article on 2019, same day as the release of 2020-06-11"),
    "https://www.ssb.no/en/utdanning/statistikker/nopplinnv/aar/2014-09-24": ("2014-09-24", "page"),
    # --- participation: elections
    "https://www.ssb.no/valg/stortingsvalg/artikler/innvandrere-og-stortingsvalget-2021": ("2022-07-01", "estimated: analysis of the 2021 election"),
    "https://www.ssb.no/valg/kommunestyre-og-fylkestingsvalg/artikler/lavere-valgdeltakelse-blant-innvandrere": ("2024-03-01", "estimated: after the 2023 election"),
    "https://ssb.no/en/valg/kommunestyre-og-fylkestingsvalg/artikler/immigrants-and-the-local-election-2023": ("2024-03-01", "estimated: English version of the 2023 article"),
    "http://www.ssb.no/valg/artikler-og-publikasjoner/ap-star-stott-blant-innvandrere-fra-sor?tabell=280716": ("2016-07-01", "estimated: analysis of the 2015 election"),
    "https://www.ssb.no/valg/stortingsvalg/statistikk/valgdeltakelse/artikler/valgdeltakelsen-okte-blant-de-eldste": ("2023-10-01", "estimated: preliminary figures after the 2023 election"),
    "http://www.ssb.no/en/valg/artikler-og-publikasjoner/do-refugees-get-involved-in-local-politics?tabell=291585": ("2017-01-23", "page"),
    "https://ssb.no/en/valg/artikler-og-publikasjoner/do-refugees-get-involved-in-local-politics?tabell=291575": ("2017-01-23", "page"),
    "https://ssb.no/en/valg/artikler-og-publikasjoner/do-refugees-get-involved-in-local-politics": ("2017-01-23", "estimated: the article of tables 291575 and 291585 (2017-01-23)"),
    "https://www.ssb.no/en/vundinnv/": ("2014-07-01", "estimated: 2013 election, published 2014"),
    "https://www.ssb.no/en/valg/artikler-og-publikasjoner/valgdeltakelsen-blant-personer-med-innvandrerbakgrunn": ("2015-10-01", "estimated: Reports 2015/33"),
    "https://www.ssb.no/a/kortnavn/vundkinnv/tab-2012-03-01-10.html": ("2012-03-01", "page"),
    "https://www.ssb.no/a/kortnavn/vundinnv/tab-2010-01-14-04.html": ("2010-01-14", "page"),
    "https://www.ssb.no/a/kortnavn/vundkinnv/tab-2008-02-28-04.html": ("2008-02-28", "url"),
    "https://www.ssb.no/a/kortnavn/vundinnv/arkiv/tab-2006-02-16-04.html": ("2006-02-16", "url"),
    "https://statbank.ssb.no/valg/statistikker/stemmerettst/hvert-4-aar": ("2017-04-19", "page"),
    "https://www.ssb.no/en/valg/artikler-og-publikasjoner/immigrants-and-the-2015-municipal-and-county-council-elections": ("2017-03-01", "estimated: Reports 2017/10"),
    "https://ssb.no/en/valg/statistikker/stemmerettst/hvert-4-aar/2021-04-15?fane=tabell&tabell=450800": ("2021-04-15", "page"),
    "https://www.ssb.no/valg/artikler-og-publikasjoner/3-756-400-har-roysterett-ved-stortingsvalet": ("2017-04-19", "estimated: same day as the stemmerettst release 2017-04-19"),
    # --- population: citizenship, refugees, immigrants
    "https://www.ssb.no/befolkning/innvandrere/statistikk/overgang-til-norsk-statsborgerskap": ("2024-05-02", "page"),
    "https://www.ssb.no/befolkning/statistikker/statsborger/aar": ("2017-05-23", "page"),
    "https://www.ssb.no/befolkning/innvandrere/statistikk/overgang-til-norsk-statsborgerskap/artikler/rekordmange-fikk-norsk-statsborgerskap-i-2021-i-kjolvannet-av-ny-lov": ("2022-05-04", "page"),
    "https://www.ssb.no/a/kortnavn/statsborger/tab-2012-05-24-02.html": ("2012-05-24", "page"),
    "https://www.ssb.no/befolkning/statistikker/statsborger/aar/2019-03-26": ("2019-03-26", "page"),
    "https://www.ssb.no/befolkning/innvandrere/statistikk/overgang-til-norsk-statsborgerskap/artikler/sterk-okning-i-antall-overganger-til-norsk-statsborgerskap": ("2021-05-21", "page"),
    "https://www.ssb.no/befolkning/innvandrere/artikler/endring-i-statsborgerskapsloven-bidro-til-faerre-utenlandske-statsborgere": ("2022-03-14", "page"),
    "http://ssb.no/befolkning/statistikker/flyktninger": ("2016-06-17", "page"),
    "https://www.ssb.no/en/befolkning/statistikker/flyktninger": ("2018-06-01", "estimated: figures per 1 January 2018, annual release in early summer"),
    "https://ssb.no/391031/persons-with-refugee-background.1-january": ("2019-06-01", "estimated: figures per 1 January 2019, annual release in early summer"),
    "https://ssb.no/420640/persons-with-refugee-background.1-january": ("2020-06-01", "estimated: figures per 1 January 2020, annual release in early summer"),
    "https://www.ssb.no/befolkning/statistikker/flyktninger/aar": ("2021-05-25", "page"),
    "https://ssb.no/en/befolkning/innvandrere/statistikk/personer-med-flyktningbakgrunn": ("2024-06-01", "estimated: figures per 1 January 2024, annual release in early summer"),
    "https://www.ssb.no/befolkning/innvandrere/statistikk/personer-med-flyktningbakgrunn/artikler/nesten-atte-av-ti-nyankomne-flyktninger-er-fra-ukraina": ("2023-06-01", "estimated: figures per 1 January 2023"),
    "https://www.ssb.no/befolkning/artikler-og-publikasjoner/flyktninger-i-norge?tabell=243292": ("2015-12-01", "estimated: same article as table 244642"),
    "https://www.ssb.no/219753/innvandrere-og-norskf%C3%B8dte-med-innvandrerforeldre-etter-landbakgrunn.1.januar": ("2015-03-01", "estimated: figures per 1 January 2015, annual release in March"),
    "https://www.ssb.no/en/befolkning/statistikker/innvbef/aar/2017-03-02?fane=tabell&sort=nummer&tabell=297401": ("2017-03-02", "page"),
    "https://www.ssb.no/342245/innvandrere-og-norskfodte-med-innvandrerforeldre-etter-landbakgrunn.1.januar": ("2018-03-01", "estimated: figures per 1 January 2018, annual release in March"),
    "https://ssb.no/befolkning/statistikker/innvbef/aar/2021-03-09": ("2021-03-09", "page"),
    "https://www.ssb.no/109876/innvandrere-og-norskf%C3%B8dte-med-innvandrerforeldre-etter-landbakgrunn.1.januar": ("2013-04-01", "estimated: figures per 1 January 2013, annual release in spring"),
    "https://www.ssb.no/414652/population-by-immigrant-category-and-country-background": ("2020-03-01", "estimated: figures for 2020, annual release in March"),
    "https://www.ssb.no/befolkning/innvandrere/statistikk/innvandrere-og-norskfodte-med-innvandrerforeldre/artikler/krig-ga-innvandringsvekst": ("2023-03-01", "estimated: figures per 1 January 2023, annual release in March"),
    "https://www.ssb.no/befolkning/innvandrere/statistikk/innvandrere-og-norskfodte-med-innvandrerforeldre/artikler/ukrainske-innvandrere-okte-mest": ("2024-03-01", "estimated: figures per 1 January 2024, annual release in March"),
    "https://www.ssb.no/en/befolkning/innvandrere/statistikk/innvandrere-og-norskfodte-med-innvandrerforeldre/articles-for-immigrants-and-norwegian-born-to-immigrant-parents/immigrants-and-norwegian-born-to-immigrant-parents-at-the-beginning-of-2022": ("2022-03-01", "estimated: figures per 1 January 2022, annual release in March"),
    "https://ssb.no/353627/innvandrere-etter-innvandringsgrunn": ("2018-06-01", "estimated: 2017 figures; table id between 349507 and 357432"),
    # --- living conditions: income, housing, social assistance, LKI
    "https://www.ssb.no/inntekt-og-forbruk/inntekt-og-formue/artikler/faerre-barn-lever-i-familier-med-lavinntekt": ("2023-12-15", "estimated: income year 2022; household income statistics come in December of the next year"),
    "https://www.ssb.no/inntekt-og-forbruk/artikler-og-publikasjoner/115-000-barn-i-husholdninger-med-vedvarende-lavinntekt": ("2020-12-15", "estimated: income year 2019; household income statistics come in December of the next year"),
    "https://www.ssb.no/inntekt-og-forbruk/inntekt-og-formue/artikler/faerre-barn-med-vedvarende-lavinntekt-i-2021": ("2022-12-15", "estimated: income year 2021; household income statistics come in December of the next year"),
    "https://statbank.ssb.no/ssb-skole/undervisningsopplegg/barn-og-unge-i-lavinntektshusholdninger/barn-og-unge-og-lavinntekt-i-tre-aldersgrupper-i-store-kommuner-og-etter-innvandrerbakgrunn": ("2023-07-01", "estimated: teaching page with figures up to 2021"),
    "https://www.ssb.no/167992/antall-barn-med-vedvarende-lavinntekt.barn-med-og-uten-innvandrerbakgrunn.to-ulike-lavinntektsdefinisjoner.2006-2012": ("2014-02-01", "estimated: figures to 2012; table id near 164300 (2014-02)"),
    "https://www.ssb.no/inntekt-og-forbruk/artikler-og-publikasjoner/flere-innvandrerbarnefamilier-med-lavinntekt?tabell=167993": ("2014-02-01", "estimated: figures for 2012; table id near 164300 (2014-02)"),
    "https://www.ssb.no/inntekt-og-forbruk/artikler-og-publikasjoner/norskfodte-med-innvandrerforeldre-har-hoyere-inntekter-enn-sine-foreldre?tabell=324518": ("2017-12-01", "estimated: Innvandrere i Norge 2017; table id between 306592 and 339641 (2018-02-15)"),
    "http://www.ssb.no/inntekt-og-forbruk/artikler-og-publikasjoner/norskfodte-med-innvandrerforeldre-har-hoyere-inntekter-enn-sine-foreldre": ("2017-12-01", "estimated: the article of table 324518"),
    "https://www.ssb.no/inntekt-og-forbruk/inntekt-og-formue/artikler/sterkere-inntektsvekst-blant-innvandrere-og-deres-barn": ("2023-12-01", "estimated: Innvandrere i Norge 2023, income year 2021"),
    "https://www.ssb.no/bygg-bolig-og-eiendom/bolig-og-boforhold/statistikk/boforhold-registerbasert": ("2024-01-24", "page"),
    "https://www.ssb.no/bygg-bolig-og-eiendom/statistikker/boforhold/aar/2021-03-23": ("2021-03-23", "page"),
    "https://www.ssb.no/bygg-bolig-og-eiendom/statistikker/boforhold/aar/2020-04-01": ("2020-04-01", "page"),
    "https://ssb.no/321726/husholdninger-etter-eierform-og-bygningstype-personer-etter-trangboddhet-antall-og-prosent": ("2017-12-01", "estimated: 2016 figures; table id between 306592 and 339641 (2018-02-15)"),
    "https://www.ssb.no/bygg-bolig-og-eiendom/bolig-og-boforhold/statistikk/boforhold-registerbasert/artikler/okt-eierandel-blant-innvandrere": ("2023-02-01", "estimated: 2022 figures, annual release early in the next year"),
    "https://www.ssb.no/210823/boligtype-og-boligstandard-for-innvandrere-etter-landbakgrunn.16-%C3%A5r-og-over.2013.prosent": ("2014-10-01", "estimated: 2013 survey; table id between 164300 (2014-02) and 216038 (2015-02)"),
    "https://www.ssb.no/inntekt-og-forbruk/artikler-og-publikasjoner/barnefamilier-sarlig-utsatt-pa-boligmarkedet?tabell=210621": ("2014-10-01", "estimated: table id between 164300 (2014-02) and 216038 (2015-02)"),
    "https://www.ssb.no/bygg-bolig-og-eiendom/artikler-og-publikasjoner/innvandrere-fra-somalia-bor-trangest": ("2018-07-01", "estimated: year printed (2018)"),
    "https://www.ssb.no/451991/nokkeltall-for-mottakere-av-okonomisk-sosialhjelp.2019": ("2021-06-01", "estimated: 2019 figures; table id after 449127"),
    "https://www.ssb.no/sosiale-forhold-og-kriminalitet/artikler-og-publikasjoner/over-halvparten-av-sosialhjelpsutbetalingene-gar-til-innvandrere": ("2021-06-01", "estimated: the article of table 451991"),
    "https://ssb.no/sosiale-forhold-og-kriminalitet/trygd-og-stonad/statistikk/okonomisk-sosialhjelp/artikler/sosialhjelpsmottak-etter-landbakgrunn": ("2024-07-01", "estimated: 2023 figures"),
    "https://www.ssb.no/sosiale-forhold-og-kriminalitet/trygd-og-stonad/artikler/hoyt-sosialhjelpsbehov-blant-flyktninger": ("2023-07-01", "estimated: 2022 figures"),
    "https://www.ssb.no/sosiale-forhold-og-kriminalitet/artikler-og-publikasjoner/nedgang-i-sosialhjelp-blant-flyktninger": ("2010-11-01", "estimated: Samfunnsspeilet 2010/4"),
    "https://www.ssb.no/a/kortnavn/soshjelpk/arkiv/tab-2010-06-29-04.html": ("2010-06-29", "page"),
    "https://www.ssb.no/sosiale-forhold-og-kriminalitet/artikler-og-publikasjoner/darligere-levekar-men-likevel-hoy-tillit-og-sterk-tilhorighet": ("2017-07-01", "estimated: year printed (2017)"),
    "https://www.ssb.no/befolkning/artikler-og-publikasjoner/innvandrere-har-mindre-tillit-til-sine-medmennesker": ("2019-07-01", "estimated: SSB analyse 2019/13"),
    "https://www.ssb.no/sosiale-forhold-og-kriminalitet/artikler-og-publikasjoner/innvandrere-med-lav-inntekt-darligere-stilt-enn-andre-med-lav-inntekt?tabell=388262": ("2019-06-01", "estimated: table id after 386796 (2019-05)"),
}

# Article lists print the ingress of several articles, each with its own date; the rows get the
# date of the article they come from: (page, series, year, printed group, sex) → date.
_CITIZENSHIP_ARTICLES = "https://www.ssb.no/befolkning/innvandrere/statistikk/overgang-til-norsk-statsborgerskap/artikler"
LIST_PAGE_ROWS = {
    (_EMPLOYMENT_ARTICLES, "employment_rate", "2021", "innvandrere", "alle"): "2022-03-03",
    (_EMPLOYMENT_ARTICLES, "employment_rate", "2021", "befolkningen_ellers", "alle"): "2023-03-09",
    (_EMPLOYMENT_ARTICLES, "employment_rate", "2022", "innvandrere", "alle"): "2023-03-09",
    (_EMPLOYMENT_ARTICLES, "employment_rate", "2022", "befolkningen_ellers", "alle"): "2023-03-09",
    (_EMPLOYMENT_ARTICLES, "employment_rate", "2023", "innvandrere", "alle"): "2024-03-05",
    (_EMPLOYMENT_ARTICLES, "employment_rate", "2023", "befolkningen_ellers", "alle"): "2024-03-05",
    (_INTRO_ARTICLES, "intro_former_participants", "2019", "innvandrere", "alle"): "2021-09-29",
    (_INTRO_ARTICLES, "intro_in_work_or_education_rate", "2018", "innvandrere", "alle"): "2021-09-29",
    (_INTRO_ARTICLES, "intro_in_work_or_education_rate", "2019", "innvandrere", "alle"): "2021-09-29",
    (_INTRO_ARTICLES, "intro_in_work_or_education_rate", "2020", "innvandrere", "menn"): "2022-10-03",
    (_INTRO_ARTICLES, "intro_in_work_or_education_rate", "2020", "innvandrere", "kvinner"): "2022-10-03",
    (_INTRO_ARTICLES, "intro_former_participants", "2021", "innvandrere", "alle"): "2024-02-19",
    (_INTRO_ARTICLES, "intro_in_work_or_education_rate", "2021", "innvandrere", "alle"): "2024-02-19",
    (_CITIZENSHIP_ARTICLES, "citizenship_acquisitions", "2020", "personer_som_fikk_norsk_statsborgerskap", "alle"): "2021-05-21",
    (_CITIZENSHIP_ARTICLES, "citizenship_acquisitions", "2021", "personer_som_fikk_norsk_statsborgerskap", "alle"): "2022-05-04",
}
LIST_PAGES = {key[0] for key in LIST_PAGE_ROWS}


def released_for(row: dict[str, str]) -> str | None:
    """The release date of the page a source row was printed on (of its article, on a list). A
    harvested row carries its own date (checked against RELEASED in :func:`harvest_problems`)."""
    if row.get("released"):
        return row["released"]
    if row["source_url"] in LIST_PAGES:
        return LIST_PAGE_ROWS.get((row["source_url"], row["indicator"], row["year"], row["population_group"], row["sex"]))
    return RELEASED.get(row["source_url"], (None,))[0]


# --------------------------------------------------------------------------- reading


def read_source(source_dir: Path) -> list[dict[str, str]]:
    with open(source_dir / "observations.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_pages(source_dir: Path) -> dict[str, dict[str, str]]:
    """url → {title, footnotes} from pages.md (numbered sections and the table of further pages)."""
    text = (source_dir / "pages.md").read_text(encoding="utf-8")
    pages = {}
    for section in re.split(r"\n(?=## )", text):
        url = re.search(r"^- URL: (\S+)", section, re.M)
        if not url:
            continue
        title = re.match(r"## (?:\d+\. )?(.*)", section).group(1).strip()
        footnotes = (re.search(r"^- Footnotes[^:]*: (.*)$", section, re.M)
                     or re.search(r"^- Contents: (.*)$", section, re.M))
        pages[url.group(1)] = {"title": title, "footnotes": footnotes.group(1) if footnotes else ""}
    for url, what in re.findall(r"^\| r\d+ \| (\S+) \| (.*?) \| \d+ \|$", text, re.M):
        pages[url] = {"title": "", "footnotes": what.strip()}
    return pages


# --------------------------------------------------------------------------- the harvest
# Further figures transcribed by hand from stored copies of ssb.no pages (tools/harvest/README.md):
# one row per printed figure, with the figure as printed ("27 455", "56,2"), the text it was read
# from, and the page's address, title and release date.

HARVEST_COLUMNS = ["series", "year", "period", "population_group", "sex", "age", "region_of_origin", "botid",
                   "other_dim", "other_value", "unit", "printed_value", "source_url", "source_title", "released",
                   "released_basis", "ssb_statistic", "ssb_table", "printed_text", "note"]
SSB_HOSTS = ("ssb.no", "statbank.ssb.no")
_GROUPED = re.compile(r"^-?\d{1,3}( \d{3})+(,\d+)?$")
_PLAIN = re.compile(r"^-?\d+(,\d+)?$")


def printed_to_value(text: str) -> str:
    """A number as a Norwegian page prints it ("27 455", "56,2", "2 274 000") as the snapshot
    writes it ("27455", "56.2", "2274000"): the thousands spaces go and the decimal comma becomes
    a point; no digit changes. Anything else (SSB's symbols, words) is returned as it is, for
    parse_printed_value to give a status or refuse."""
    text = text.strip()
    if _GROUPED.match(text) or _PLAIN.match(text):
        return text.replace(" ", "").replace(",", ".")
    return text


def read_harvest(path: Path) -> list[dict[str, str]]:
    return _read_rows(path, HARVEST_COLUMNS)


def read_known_revisions(path: Path) -> list[dict[str, str]]:
    return _read_rows(path, KNOWN_REVISION_COLUMNS)


def _read_rows(path: Path, columns: list[str]) -> list[dict[str, str]]:
    """A hand-kept CSV's rows; its header must be exactly ``columns``."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != columns:
            raise SystemExit(f"{path}: columns {reader.fieldnames} are not {columns}")
        return list(reader)


def mark_superseded(kept: list[dict[str, str]], known: list[dict[str, str]]) -> list[str]:
    """Mark in ``note`` (``SUPERSEDED: …``) every kept figure of a declared revision: its series,
    one of its years, released before the corrected figures were. Returns the problems: a
    revision that matches no figure, or a source that is not on ssb.no."""
    problems = []
    for revision in known:
        years = {int(y) for y in revision["years"].split()}
        if urlparse(revision["source_url"]).netloc.removeprefix("www.") != "ssb.no":
            problems.append(f"known revision {revision['series']}: source {revision['source_url']} is not on ssb.no")
        marked = 0
        for row in kept:
            if row["series"] == revision["series"] and int(row["year"]) in years \
                    and row["released"] < revision["first_versions_before"]:
                flag = (f"SUPERSEDED: {revision['what']} Kilde: {revision['source_url']} "
                        f"(oppdatert {revision['source_released']}).")
                row["note"] = f"{row['note']} {flag}".strip()
                marked += 1
        if not marked:
            problems.append(f"known revision {revision['series']} {revision['years']}: no figure to mark")
    return problems


def harvest_source_rows(harvest: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[str]]:
    """The harvested figures in the reference data's row form (for :func:`map_rows`), and the
    problems: a figure that is not in the text it was read from, a page that is not SSB's, a row
    without a release date or basis."""
    rows, problems = [], []
    for line, row in enumerate(harvest, start=2):
        where = f"{HARVEST_FILE.name} line {line}"
        if not row["printed_value"] or row["printed_value"] not in row["printed_text"]:
            problems.append(f"{where}: the printed value {row['printed_value']!r} is not in its printed text")
        if urlparse(row["source_url"]).netloc.removeprefix("www.") not in SSB_HOSTS:
            problems.append(f"{where}: {row['source_url']} is not a page on ssb.no")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["released"]) or not row["released_basis"]:
            problems.append(f"{where}: no release date and basis")
        rows.append({
            "indicator": row["series"], "theme": "", "year": row["year"], "period": row["period"],
            "population_group": row["population_group"], "sex": row["sex"], "age": row["age"],
            "region_of_origin": row["region_of_origin"], "botid": row["botid"], "other_dim": row["other_dim"],
            "other_value": row["other_value"], "unit": row["unit"], "value": printed_to_value(row["printed_value"]),
            "source_url": row["source_url"], "source_title": row["source_title"], "ssb_statistic": row["ssb_statistic"],
            "ssb_table": row["ssb_table"], "note": row["note"], "released": row["released"]})
    return rows, problems


_PAGE_KEY = ["source_ref", "series", "year", "period", "group", "sex", "age", "geography", "region", "botid",
             "other_dim", "other_value", "unit"]


def harvest_problems(harvested: list[dict[str, str]], reference: list[dict[str, str]]) -> list[str]:
    """A harvested figure must be new: not a second reading of a figure the reference data already
    took from the same page, not twice in the harvest; and a page both know must have one date."""
    problems = []
    known = {tuple(r[c] for c in _PAGE_KEY) for r in reference}
    seen = set()
    for row in harvested:
        key = tuple(row[c] for c in _PAGE_KEY)
        if key in known:
            problems.append(f"harvested figure already in the reference data: {key}")
        if key in seen:
            problems.append(f"harvested twice: {key}")
        seen.add(key)
        url = row["source_ref"]
        if url in RELEASED and RELEASED[url][0] != row["released"]:
            problems.append(f"{url}: harvested as released {row['released']}, RELEASED says {RELEASED[url][0]}")
    return problems


# --------------------------------------------------------------------------- mapping

_PRINTED_REGION = re.compile(r"printed region label: ([^;]+)")


def source_table(text: str) -> str:
    """'268451 (selected table)' → '268451'; the qualifier in brackets says how it was found."""
    return re.sub(r"\s*\(.*\)\s*$", "", text).strip()


def map_rows(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[str]]:
    """Tidy rows and the list of labels nothing maps (the import stops if there are any)."""
    codes = load_codes()
    problems: set[str] = set()
    out = []
    for row in rows:
        url = row["source_url"]
        label = row["population_group"]
        if (url, label) in GROUP_OVERRIDES:
            group = GROUP_OVERRIDES[(url, label)][0]
        else:
            group = GROUP_CODES.get(label)
            if group is None:
                problems.add(f"population_group {label!r} on {url}")
        printed_region = _PRINTED_REGION.search(row["note"])
        region_label = printed_region.group(1).strip() if printed_region else row["region_of_origin"]
        if (url, row["region_of_origin"]) in REGION_OVERRIDES:
            region = REGION_OVERRIDES[(url, row["region_of_origin"])][0]
        else:
            region = codes.code_for("regions", row["region_of_origin"])
            printed_code = codes.code_for("regions", region_label)
            if region is None:
                problems.add(f"region_of_origin {row['region_of_origin']!r}")
            elif printed_code != region:
                problems.add(f"printed region label {region_label!r} ({printed_code}) disagrees with "
                             f"region_of_origin {row['region_of_origin']!r} ({region}) on {url}")
        mapped = {}
        for column, vocabulary in (("sex", "sex"), ("age", "ages"), ("botid", "botid")):
            mapped[column] = codes.code_for(vocabulary, row[column])
            if mapped[column] is None:
                problems.add(f"{column} {row[column]!r}")
        released = released_for(row)
        if released is None:
            problems.add(f"no release date for {url} ({row['indicator']} {row['year']} {label} {row['sex']})")
        try:
            value, status = parse_printed_value(row["value"])
        except ValueError as exc:
            problems.add(f"value on {url}: {exc}")
            continue
        out.append({
            "series": row["indicator"], "year": row["year"], "period": row["period"],
            "group": group or "", "sex": mapped["sex"] or "", "age": mapped["age"] or "", "geography": "0",
            "region": region or "", "region_label": region_label, "botid": mapped["botid"] or "",
            "other_dim": row["other_dim"], "other_value": row["other_value"], "unit": row["unit"],
            "value": value, "status": status, "source_kind": "published", "source_table": source_table(row["ssb_table"]),
            "source_ref": url, "released": released or "", "note": row["note"],
            "group_label": label, "sex_label": row["sex"], "age_label": row["age"], "botid_label": row["botid"],
            "geography_label": "",
        })
    return out, sorted(problems)


# --------------------------------------------------------------------------- revisions

REVISION_KEY = ["series", "year", "period_kind", "group", "sex", "age", "geography", "region", "botid",
                "other_dim", "other_value", "unit"]
_QUARTER = re.compile(r"^([1-4])\. kvartal \d{4}$")
_MONTH = re.compile(r"^(januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember) \d{4}$")
_RANGE = re.compile(r"^(\d{4})\s*-\s*(\d{4})$")


def period_kind(period: str) -> str:
    """What a printed period says beyond the year, for spotting the same figure on two pages:
    a quarter, a month, a sum over several years (1977-2011); anything else is the year itself
    ('1. januar 2015', 'ett år etter avslutning i 2019', a three-year window 2018-2020 =
    '2020 (treårsperiode)'), however it is worded."""
    if match := _QUARTER.match(period):
        return f"{match.group(1)}. kvartal"
    if match := _MONTH.match(period):
        return match.group(1)
    if (match := _RANGE.match(period)) and int(match.group(2)) - int(match.group(1)) != 2:
        return f"{match.group(1)}-{match.group(2)}"
    return "år"


REVISION_COLUMNS = ["series", "year", "period", "group", "sex", "age", "geography", "region", "botid", "other_dim",
                    "other_value", "unit", "value", "status", "source_kind", "released", "source_ref"]


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _rounded_repeat(newer: dict, older: dict) -> bool:
    """The newer page prints the older figure rounded (31.9 → 32), i.e. no new information."""
    if newer["status"] != "ok" or older["status"] != "ok" or _decimals(newer["value"]) >= _decimals(older["value"]):
        return False
    return round(float(older["value"]), _decimals(newer["value"])) == float(newer["value"])


def choose_revisions(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Keep one row per REVISION_KEY: the newest release, unless it only repeats an older figure
    rounded; on the same release date the first address in sort order. Returns (kept, rejected)."""
    by_key = defaultdict(list)
    for row in rows:
        by_key[tuple(period_kind(row["period"]) if c == "period_kind" else row[c] for c in REVISION_KEY)].append(row)
    kept, rejected = [], []
    for candidates in by_key.values():
        candidates.sort(key=lambda r: r["source_ref"])
        candidates.sort(key=lambda r: r["released"], reverse=True)
        candidates.sort(key=lambda r: r.get("source_kind") == "derived")  # a printed figure beats a sum
        best = candidates[0]
        for other in candidates[1:]:
            if _rounded_repeat(best, other):
                best = other
        kept.append(best)
        for other in candidates:
            if other is best:
                continue
            if other["value"] == best["value"] and other["status"] == best["status"]:
                reason = "same value printed on another page; kept the " + (
                    "newer release" if best["released"] > other["released"] else
                    "older release" if best["released"] < other["released"] else "first address (same release date)")
            elif _rounded_repeat(other, best):
                reason = "newer page repeats the figure rounded; kept the more precise value"
            elif best["released"] > other["released"]:
                reason = "revised: superseded by the newer release"
            elif other.get("source_kind") == "derived":
                reason = "derived sum not used: the publisher printed the figure"
            else:
                raise SystemExit(f"two values with the same release date, decide by hand: {other} vs {best}")
            rejected.append({**{c: other[c] for c in REVISION_COLUMNS}, "kept_period": best["period"],
                             "kept_value": best["value"], "kept_released": best["released"],
                             "kept_source_ref": best["source_ref"], "reason": reason})
    return kept, rejected


# --------------------------------------------------------------------------- writing


def _csv_bytes(rows: list[dict[str, str]], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _sort_key(row: dict[str, str]) -> tuple:
    return (row["series"], int(row["year"]), row["period"], row["group"], row["sex"], row["age"],
            row.get("geography", "0"), row["region"], row["botid"], row["other_dim"], row["other_value"],
            row["source_ref"])


def page_rows(source: list[dict[str, str]], kept: list[dict[str, str]], pages_md: dict) -> list[dict[str, str]]:
    used = Counter(r["source_ref"] for r in kept)
    out = []
    for url in sorted(used):
        rows = [r for r in source if r["source_url"] == url]
        titles = sorted({r["source_title"] for r in rows})
        out.append({
            "url": url,
            "title": " | ".join(titles) or pages_md.get(url, {}).get("title", ""),
            "released": max(d for key, d in LIST_PAGE_ROWS.items() if key[0] == url) if url in LIST_PAGES
                        else RELEASED[url][0],
            "released_basis": "list: newest of the article dates on the list (each row has its own)"
                              if url in LIST_PAGES else RELEASED[url][1],
            "statistic": " | ".join(sorted({r["ssb_statistic"] for r in rows})),
            "table": " | ".join(sorted({r["ssb_table"] for r in rows if r["ssb_table"]})),
            "footnotes": pages_md.get(url, {}).get("footnotes", ""),
            "rows": str(used[url]),
        })
    return out


def harvest_page_rows(harvest: list[dict[str, str]], kept: list[dict[str, str]]) -> list[dict[str, str]]:
    """pages.csv rows for the harvested pages the reference data does not know (those it knows
    keep their row, which counts the harvested figures too)."""
    used = Counter(r["source_ref"] for r in kept)
    out = []
    for url in sorted({r["source_url"] for r in harvest} - set(RELEASED) - LIST_PAGES):
        rows = [r for r in harvest if r["source_url"] == url]
        bases = sorted({r["released_basis"] for r in rows})
        if not used[url]:
            continue
        out.append({
            "url": url, "title": " | ".join(sorted({r["source_title"] for r in rows})),
            "released": max(r["released"] for r in rows),
            "released_basis": bases[0] if len(bases) == 1 else "list: newest of the dates of its rows (each row has its own)",
            "statistic": " | ".join(sorted({r["ssb_statistic"] for r in rows})),
            "table": " | ".join(sorted({r["ssb_table"] for r in rows if r["ssb_table"]})),
            "footnotes": f"harvested: tools/harvest/{HARVEST_FILE.name} holds the printed text of every figure",
            "rows": str(used[url])})
    return out


def export_page_rows(kept: list[dict[str, str]]) -> list[dict[str, str]]:
    """pages.csv rows for the regional exports: one per export file (its origin address)."""
    used = Counter(r["source_ref"] for r in kept)
    out = []
    for export in exports.EXPORTS:
        if export.origin_url in used and export.origin_url not in {r["url"] for r in out}:
            same = [e for e in exports.EXPORTS if e.origin_url == export.origin_url]
            out.append({"url": export.origin_url, "title": " | ".join(e.title for e in same),
                        "released": export.released, "released_basis": export.released_basis,
                        "statistic": export.publisher, "table": " | ".join(e.name for e in same),
                        "footnotes": export.note, "rows": str(used[export.origin_url])})
    return out


def write_outputs(out_dir: Path, kept, rejected, pages, source_hashes: dict[str, str],
                  geographies: list[dict[str, str]] | None = None) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    provenance = {
        "source": "Tall trykt på ssb.no (én rad per tall, med sidens adresse), IMDis og FHIs eksporter "
                  "(data/raw/imdi, data/raw/fhi) og nasjonale summer avledet av dem; se pages.csv og README.md",
        "source_files_sha256": source_hashes,
        "created_with": "tools/import_published.py",
        "attribution": ATTRIBUTION,
        "licence": LICENCE,
    }
    revision_columns = REVISION_COLUMNS + ["kept_period", "kept_value", "kept_released", "kept_source_ref", "reason"]
    page_columns = ["url", "title", "released", "released_basis", "statistic", "table", "footnotes", "rows"]
    outputs = [(OBSERVATIONS_FILE, sorted(kept, key=_sort_key), COLUMNS),
               (REVISIONS_FILE, sorted(rejected, key=_sort_key), revision_columns),
               (PAGES_FILE, pages, page_columns)]
    if geographies is not None:
        outputs.append((GEOGRAPHIES_FILE, geographies, GEOGRAPHY_COLUMNS))
    for name, rows, columns in outputs:
        record = write_with_sidecar(out_dir / name, _csv_bytes(rows, columns), {**provenance, "rows": len(rows)})
        print(f"wrote {display_path(out_dir / name)}: {len(rows)} rows, sha256 {record['sha256'][:12]}…")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the ssb_published reference folder")
    parser.add_argument("--harvest", type=Path, default=HARVEST_FILE,
                        help="the harvested figures (tools/harvest/README.md)")
    parser.add_argument("--out", type=Path, default=paths.PUBLISHED_DIR)
    parser.add_argument("--raw", type=Path, default=paths.DATA_DIR / "raw",
                        help="the committed copies of the regional exports (<raw>/imdi, <raw>/fhi)")
    parser.add_argument("--copy-exports-from", type=Path, metavar="SHARED",
                        help="first copy the declared exports from SHARED/imdi_exports and SHARED/fhi_lavinntekt "
                             "into --raw (byte for byte, with sidecars)")
    args = parser.parse_args(argv)

    if args.copy_exports_from:
        for path in exports.copy_raw(args.copy_exports_from, args.raw):
            print(f"copied {display_path(path)}")
    source = read_source(args.source)
    ssb_rows = [r for r in source if "SECONDARY" not in r["note"]]
    print(f"{len(source)} rows read; {len(source) - len(ssb_rows)} from non-SSB pages (SECONDARY) skipped")
    mapped, problems = map_rows(ssb_rows)
    harvest = read_harvest(args.harvest)
    harvest_rows, read_problems = harvest_source_rows(harvest)
    harvested, harvest_map_problems = map_rows(harvest_rows)
    problems += read_problems + harvest_map_problems + harvest_problems(harvested, mapped)
    print(f"{len(harvest)} harvested figures from {len({r['source_url'] for r in harvest})} pages ({args.harvest.name})")
    changes, change_problems = exports.release_change_rows(args.source, mapped)
    problems += change_problems
    regional, derived, skipped, geo_cells = [], [], Counter(), {}
    for export in exports.EXPORTS:
        data, _ = exports.read_raw(args.raw, export)
        if export.publisher == "imdi":
            cells = exports.parse_wide(data)
            rows, left = exports.imdi_rows(export, cells)
            skipped.update(left)
            if export.national:  # a figure outside its region's years would be counted twice
                problems += exports.check_validity(rows, cells)
            geo_cells[export.name] = cells
        else:
            rows = exports.fhi_rows(export, data)
        national = [r for r in rows if r["geography"] == exports.NATIONAL]
        if export.national and not national:
            sums, not_summed = exports.national_sums(rows, export)
            derived += sums
            skipped.update(reason.split(":")[1].strip().split(",")[0] for reason in not_summed)
        kept_rows = [r for r in rows if exports.kept_in_snapshot(r["geography"])]
        skipped["municipality not in MUNICIPALITIES_KEPT (raw copy and national sums only)"] += len(rows) - len(kept_rows)
        regional += kept_rows
    if problems:
        print("labels without a mapping or figures that do not fit (add them to data/codes.yml or the "
              "tables in the tools):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"{len(changes)} printed changes from {exports.RELEASE_FIGURES}; {len(regional)} regional rows, "
          f"{len(derived)} derived national rows; left out: {dict(sorted(skipped.items()))}")
    kept, rejected = choose_revisions(mapped + harvested + changes + regional + derived)
    print(f"{len(kept)} rows kept; {len(rejected)} duplicates to revisions.csv "
          f"({Counter(r['reason'].split(';')[0] for r in rejected).most_common()})")
    revision_problems = mark_superseded(kept, read_known_revisions(KNOWN_REVISIONS_FILE))
    if revision_problems:
        print("\n".join(f"  - {p}" for p in revision_problems), file=sys.stderr)
        return 1
    print(f"{sum('SUPERSEDED:' in r['note'] for r in kept)} figures marked SUPERSEDED "
          f"({KNOWN_REVISIONS_FILE.name})")
    source_hashes = {name: hashlib.sha256((args.source / name).read_bytes()).hexdigest()
                     for name in ("observations.csv", "pages.md", exports.RELEASE_FIGURES)}
    for export in exports.EXPORTS:
        source_hashes[f"{export.publisher}/{export.name}"] = exports.read_raw(args.raw, export)[1]["sha256"]
    source_hashes[f"harvest/{args.harvest.name}"] = hashlib.sha256(args.harvest.read_bytes()).hexdigest()
    source_hashes[f"harvest/{KNOWN_REVISIONS_FILE.name}"] = hashlib.sha256(KNOWN_REVISIONS_FILE.read_bytes()).hexdigest()
    pages = page_rows(source, [r for r in kept if r["source_ref"] in RELEASED or r["source_ref"] in LIST_PAGES],
                      read_pages(args.source))
    pages = sorted(pages + harvest_page_rows(harvest, kept), key=lambda p: p["url"])
    write_outputs(args.out, kept, rejected, pages + export_page_rows(kept), source_hashes,
                  exports.geography_rows(kept, geo_cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
