"""The words that name a carrier in evidence text, in the languages of this field's sources.

Why a data module: the reporting on DPRK-Russia shipments is written in English, Russian,
Korean and Chinese (NK News / NK Pro, RFA, VOA Korean, Yonhap, KBS, Russian and Ukrainian
outlets, Chinese-language wires). A carrier named only in Russian ("судно", "вагоны") was
invisible to the English-only patterns, so the leg it evidences fell back to nothing. Every
list says where its translations come from; `carriers.py` decides what a match means.

Translations checked against Wiktionary (en.wiktionary.org entries of each word, Dec 2026) and
against their use in the cited reporting (tests/cases/test_carrier_words.py quotes it):

- Russian: судно "vessel, ship" (declined судна/судну/судном/судне; the plural суда and
  судов are left out: they are also forms of суд "court"), теплоход "motor ship", корабль
  "ship", сухогруз "dry-cargo ship", контейнеровоз "container ship"; поезд "train", вагон
  "railway car, wagon", эшелон "(military) train", железнодорожный "railway (adj.)", железная
  дорога "railway"; грузовик "lorry, truck", фура "articulated lorry", тягач "tractor unit".
- Korean: 선박 "vessel", 화물선 "cargo ship", 컨테이너선 "container ship", 배 "boat, ship"
  (only as a word of its own: 배 is also "pear", "belly" and "times" as in 2~3배 "two to three
  times"); 열차 "train", 화물열차 "freight train", 기차 "train", 화차 "freight car", 철도
  "railway"; 트럭 "truck". 화물차 is left out: it means a lorry on the road and a freight car on
  rails ("러시아 화물차 최소 8량", eight Russian freight *cars*, Asiapress 2024-10).
- Chinese (simplified and traditional): 船 "ship" (船舶, 货船/貨船, 船只/船隻), 货轮/貨輪 "cargo
  ship", 轮船/輪船 "steamship"; 火车/火車 "train", 列车/列車 "train", 车厢/車廂 and 车皮/車皮
  "railway wagon", 铁路/鐵路 "railway", 班列 "scheduled block train"; 卡车/卡車 "truck", 重卡
  "heavy truck", 货车/貨車 "goods vehicle" (a railway wagon only as 铁路货车, which the
  railway word catches first).
- English: ship, vessel, freighter, cargo ship (sea); railcar, rail car, wagon, freight train
  (rail); truck, lorry (road).

Korean and Chinese are written without spaces between a noun and its particles, so their words
match inside longer strings; Russian and English match whole words (with their endings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CARRIER_WORDS", "CarrierWords", "WordMatch", "find_carrier_words"]


@dataclass(frozen=True)
class CarrierWords:
    """The words of one language that name one mode of carrier."""

    mode: str  # sea | rail | road
    language: str  # en | ru | ko | zh
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class WordMatch:
    mode: str
    language: str
    word: str  # the text matched, as written


def _words(mode: str, language: str, regex: str) -> CarrierWords:
    return CarrierWords(mode, language, re.compile(regex, re.IGNORECASE))


# a Korean 배 "ship" standing alone (with a particle at most), not "times" after a number
_KO_BAE = (r"(?<![가-힣\d~])(?<!\d )(?<![두세네몇] )배(?:가|는|를|에|에서|로|와|의|들)?"
           r"(?![가-힣])")

CARRIER_WORDS: tuple[CarrierWords, ...] = (
    # rail first: "containers unloaded from the ship onto railcars" names the onward carrier
    _words("rail", "en", r"\b(?:rail ?cars?|wagons?|freight trains?)\b"),
    _words("rail", "ru", r"(?<![а-яё])(?:поезд\w*|вагон\w*|эшелон\w*|железнодорожн\w*|"
                         r"железн\w+ дорог\w*)"),
    _words("rail", "ko", r"화물열차|열차|기차|화차|철도"),
    _words("rail", "zh", r"火车|火車|列车|列車|车厢|車廂|车皮|車皮|铁路|鐵路|班列"),
    _words("road", "en", r"\b(?:trucks?|lorry|lorries)\b"),
    _words("road", "ru", r"(?<![а-яё])(?:грузовик\w*|фур(?:а|ы|у|ой|ами|ах)|тягач\w*)"
                         r"(?![а-яё])"),
    _words("road", "ko", r"트럭"),
    _words("road", "zh", r"卡车|卡車|重卡|货车|貨車"),
    _words("sea", "en", r"\b(?:ships?|vessels?|freighters?)\b"),
    _words("sea", "ru", r"(?<![а-яё])(?:судн(?:о|а|у|ом|е)|теплоход\w*|корабл\w*|сухогруз\w*|"
                        r"контейнеровоз\w*)(?![а-яё])"),
    _words("sea", "ko", rf"선박|화물선|컨테이너선|{_KO_BAE}"),
    _words("sea", "zh", r"货轮|貨輪|轮船|輪船|船"),
)


def find_carrier_words(text: str) -> list[WordMatch]:
    """Every list that matches `text`, in CARRIER_WORDS order (rail, road, then sea), with the
    first word it matched."""
    out = []
    for words in CARRIER_WORDS:
        found = words.pattern.search(text or "")
        if found:
            out.append(WordMatch(words.mode, words.language, found.group(0).strip()))
    return out
