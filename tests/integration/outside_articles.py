"""Articles written outside the synthetic corpus's templates, each with its fact record.

English and Portuguese, in the styles a newsroom really prints: a feature lede, a wire
brief under a dateline, a quotation first, questions and answers, a passive sentence,
a bulleted list, an obituary, a hedged science story, a match report, a market report,
a one-line brief, an interview. Each names its actor with a role and, most of the time,
a second person with another role, so that a summary can put a name in the wrong place.
"""

from __future__ import annotations

from newsum.trainer.facts import FactRecord, FigureFact, PersonFact


def _record(person: tuple[str, str], event: str, place: str | None, weekday: str | None,
            figures: list[tuple[float, str]], others: list[tuple[str, str]]) -> FactRecord:
    return FactRecord(
        person=PersonFact(*person), event=event, place=place, weekday=weekday,
        figures=tuple(FigureFact(value, sentence) for value, sentence in figures),
        others=tuple(PersonFact(*other) for other in others),
    )


def _article(number: int, language: str, title: str, body: str, record: FactRecord
             ) -> dict[str, object]:
    return {"id": 9000 + number, "language": language, "title": title, "body": body,
            "facts": record}


EN_BAKERY = ("On Saturday she opened a second shop in Dunmore and hired 12 new bakers.")
EN_FERRY = ("Ferry fares will fall by 15 percent from May, the transport commissioner Ines"
            " Carvalho announced on Tuesday.")
EN_ROOF = "The repairs at Greenfield School cost 48 thousand pounds and took three months."
EN_RACE = ("A record 3,200 runners took part in the Eastvale half marathon on Sunday,"
           " which was won for the second year by the nurse Grace Mbeki.")
EN_STORM = "27 homes flooded in Brookside on Monday"
EN_OBIT = ("Henry Walsh, the founder of the Saltmarsh shipyard, died on Friday at the age"
           " of 91.")
EN_BOATS = "Over half a century he built 140 fishing boats."
EN_COATING = ("Researchers at Northfield University say a new coating could cut the energy"
              " used by cooling towers by 30 percent.")
EN_SHARES = ("Shares in Corvid Foods rose 4.5% on Thursday after its chief executive, Laura"
             " Finch, announced the purchase of a rival dairy.")
EN_LIBRARY = ("Kingsport's library reopens on Monday after a 2-year refit, said the librarian"
              " Nadia Flores.")
EN_FILM = "The film, shot in 9 days, beat 60 other entries."

PT_CRECHE = ("A prefeita de Ribeira Funda, Sônia Matos, inaugurou nesta sexta-feira uma creche"
             " com 120 vagas.")
PT_SOJA = ("O porto local recebeu 35 mil toneladas de soja em março, informou na"
           " segunda-feira o diretor do terminal, Rogério Lins.")
PT_SHOW = ("“Foi a noite mais feliz da minha vida”, disse a cantora Lia Prado, que lotou o"
           " estádio de Vale Verde neste sábado com 22 mil fãs.")
PT_ONIBUS = ("A partir desta quarta-feira, os ônibus de Serra Clara passam a circular 24"
             " horas.")
PT_UVA = ("Foram colhidas 8 mil toneladas de uva em Monte Alegre nesta safra, segundo a"
          " agrônoma Helena Dutra, da cooperativa local.")
PT_TEMPORAL = "- 14 famílias desalojadas"
PT_PESCADOR = "Aos 73 anos, o pescador Benedito Souto ainda sai para o mar antes do sol."
PT_BAIA = ("Um estudo da Universidade do Litoral mostra que a água da baía ficou 1,8 grau"
           " mais quente em dez anos.")
PT_JOGO = "O Atlético Serrano venceu o Unidos por 2 a 0 neste domingo."
PT_INFLACAO = ("A inflação em Campina Nova ficou em 0,6% em maio, informou nesta terça-feira"
               " a economista-chefe do banco regional, Tereza Lobo.")
PT_BIBLIOTECA = ("A biblioteca de Pedra Lisa reabre neste sábado, após 3 anos de obras,"
                 " anunciou a bibliotecária Cecília Ramos.")
PT_BOLSAS = ("O reitor da universidade, Mário Sampaio, anunciou nesta segunda-feira 300 novas"
             " bolsas de estudo.")

OUTSIDE_ARTICLES: list[dict[str, object]] = [
    _article(1, "en", "A bakery that never sleeps",
             "At four in the morning the ovens on Harbour Street are already warm. Their"
             " owner, the baker Marta Lindqvist, has kept them burning through the night for"
             f" eleven years. {EN_BAKERY}\n\n“We could not keep up with the orders,”"
             " Lindqvist said. Her accountant, Paul Okafor, called the move risky but overdue.",
             _record(("Marta Lindqvist", "baker"), "opened a second shop", "Dunmore",
                     "on Saturday", [(12, EN_BAKERY)], [("Paul Okafor", "accountant")])),
    _article(2, "en", "Ferry fares to fall",
             f"PORTHAVEN — {EN_FERRY} The decision follows a year of complaints from island"
             " residents. The opposition councillor Derek Moss said the cut came too late.",
             _record(("Ines Carvalho", "transport commissioner"), "ferry fares will fall",
                     "Porthaven", "on Tuesday", [(15, EN_FERRY)],
                     [("Derek Moss", "opposition councillor")])),
    _article(3, "en", "School roof fixed at last",
             "“We have finally fixed the roof,” the headmaster, Tom Ashby, told parents on"
             f" Wednesday. {EN_ROOF}\n\nAisha Rahman, the chair of the parents' association,"
             " thanked the builders.",
             _record(("Tom Ashby", "headmaster"), "fixed the roof", None, "on Wednesday",
                     [(48, EN_ROOF)], [("Aisha Rahman", "chair of the parents' association")])),
    _article(4, "en", "Why the old bridge is shut",
             "What happened? The old stone bridge in Kelby was closed on Thursday. Who closed"
             " it? Samuel Brandt, the chief engineer of the river authority, after his team"
             " found cracks. How long? Repairs will take 6 weeks. What now? Drivers must use"
             " the ring road, said Carol Wynn, the police inspector.",
             _record(("Samuel Brandt", "chief engineer of the river authority"),
                     "closed the old stone bridge", "Kelby", "on Thursday",
                     [(6, "How long? Repairs will take 6 weeks.")],
                     [("Carol Wynn", "police inspector")])),
    _article(5, "en", "Nurse wins half marathon again",
             f"{EN_RACE} Her time was one hour and nine minutes.\n\nThe race director, Leo"
             " Fairbanks, said entries had doubled since last year.",
             _record(("Grace Mbeki", "nurse"), "won the Eastvale half marathon", "Eastvale",
                     "on Sunday", [(3200, EN_RACE)], [("Leo Fairbanks", "race director")])),
    _article(6, "en", "Storm Hilda in numbers",
             f"What the storm left behind:\n\n- {EN_STORM}\n- one school closed\n- the mayor,"
             " Rachel Stone, declared an emergency\n\nThe fire chief, Ahmed Noor, said his"
             " crews worked through the night.",
             _record(("Rachel Stone", "mayor"), "declared an emergency", "Brookside",
                     "on Monday", [(27, EN_STORM)], [("Ahmed Noor", "fire chief")])),
    _article(7, "en", "Shipbuilder Henry Walsh dies",
             f"{EN_OBIT} {EN_BOATS}\n\nHis daughter, Emily Croft, said he worked in the yard"
             " until last spring.",
             _record(("Henry Walsh", "founder of the Saltmarsh shipyard"), "died",
                     "Saltmarsh", "on Friday", [(91, EN_OBIT), (140, EN_BOATS)],
                     [("Emily Croft", "daughter")])),
    _article(8, "en", "A coating that cools",
             f"{EN_COATING} The team, led by the physicist Hannah Okoro, presented the"
             " results on Wednesday. The industry analyst Brian Kell urged caution until"
             " larger trials are done.",
             _record(("Hannah Okoro", "physicist"), "presented the results", None,
                     "on Wednesday", [(30, EN_COATING)], [("Brian Kell", "industry analyst")])),
    _article(9, "en", "Rovers win the derby",
             "Riverside Rovers beat Hillcrest 3-1 on Saturday. Their captain, Jonah Pike,"
             " scored twice, and the coach, Mia Torres, praised a young defence.",
             _record(("Jonah Pike", "captain"), "scored twice", None, "on Saturday",
                     [(3, "Riverside Rovers beat Hillcrest 3-1 on Saturday."),
                      (1, "Riverside Rovers beat Hillcrest 3-1 on Saturday.")],
                     [("Mia Torres", "coach")])),
    _article(10, "en", "Corvid Foods buys a dairy",
             f"{EN_SHARES} The union representative Gary Holt said the jobs at both sites"
             " were safe.",
             _record(("Laura Finch", "chief executive"), "announced the purchase of a rival"
                     " dairy", None, "on Thursday", [(4.5, EN_SHARES)],
                     [("Gary Holt", "union representative")])),
    _article(11, "en", "Library reopens", EN_LIBRARY,
             _record(("Nadia Flores", "librarian"), "library reopens", "Kingsport",
                     "on Monday", [(2, EN_LIBRARY)], [])),
    _article(12, "en", "“I never expected to win”",
             "“I never expected to win,” said the film-maker Omar Haddad on Sunday, minutes"
             " after the jury of the Lindon festival named his short film the best of the"
             f" year. {EN_FILM} The festival president, Clara Jung, handed him the prize.",
             _record(("Omar Haddad", "film-maker"), "won the prize for the best short film",
                     "Lindon", "on Sunday", [(9, EN_FILM), (60, EN_FILM)],
                     [("Clara Jung", "festival president")])),
    _article(13, "pt-BR", "Creche nova em Ribeira Funda",
             f"{PT_CRECHE} A obra levou dois anos.\n\nO vereador de oposição Luís Pacheco"
             " criticou o atraso.",
             _record(("Sônia Matos", "prefeita"), "inaugurou uma creche", "Ribeira Funda",
                     "nesta sexta-feira", [(120, PT_CRECHE)],
                     [("Luís Pacheco", "vereador de oposição")])),
    _article(14, "pt-BR", "Porto bate recorde de soja",
             f"SÃO BENTO DO MAR — {PT_SOJA} A marca é a maior da história do terminal.",
             _record(("Rogério Lins", "diretor do terminal"), "toneladas de soja",
                     "São Bento do Mar", "na segunda-feira", [(35, PT_SOJA)], [])),
    _article(15, "pt-BR", "Lia Prado lota estádio",
             f"{PT_SHOW}\n\nO produtor do show, Davi Rocha, prometeu uma nova data em"
             " dezembro.",
             _record(("Lia Prado", "cantora"), "lotou o estádio", "Vale Verde", "neste sábado",
                     [(22, PT_SHOW)], [("Davi Rocha", "produtor do show")])),
    _article(16, "pt-BR", "Ônibus 24 horas",
             f"O que mudou? {PT_ONIBUS} Quem decidiu? O secretário de transportes, Alberto"
             " Faria. E os motoristas? O sindicato, presidido por Marta Quintela, aprovou a"
             " mudança.",
             _record(("Alberto Faria", "secretário de transportes"), "passam a circular",
                     "Serra Clara",
                     "desta quarta-feira", [(24, PT_ONIBUS)],
                     [("Marta Quintela", "presidente do sindicato")])),
    _article(17, "pt-BR", "Safra de uva",
             f"{PT_UVA} O presidente da cooperativa, Jorge Amaral, disse que o preço caiu.",
             _record(("Helena Dutra", "agrônoma"), "foram colhidas", "Monte Alegre", None,
                     [(8, PT_UVA)], [("Jorge Amaral", "presidente da cooperativa")])),
    _article(18, "pt-BR", "Balanço do temporal",
             f"Balanço do temporal em Porto Seco, nesta terça-feira:\n\n{PT_TEMPORAL}\n- duas"
             " escolas fechadas\n- o governador, Caetano Reis, visitou a cidade\n\nA"
             " coordenadora da defesa civil, Irene Vaz, pediu doações.",
             _record(("Caetano Reis", "governador"), "visitou a cidade", "Porto Seco",
                     "nesta terça-feira", [(14, PT_TEMPORAL)],
                     [("Irene Vaz", "coordenadora da defesa civil")])),
    _article(19, "pt-BR", "O pescador homenageado",
             f"{PT_PESCADOR} Neste domingo, ele foi homenageado pela câmara de Ilha Rasa, que"
             " lhe deu o título de cidadão honorário. O neto, Kauã Lemos, leu um poema.",
             _record(("Benedito Souto", "pescador"), "foi homenageado pela câmara",
                     "Ilha Rasa", "neste domingo", [(73, PT_PESCADOR)], [("Kauã Lemos", "neto")])),
    _article(20, "pt-BR", "Baía mais quente",
             f"{PT_BAIA} A oceanógrafa Paula Viana apresentou os dados nesta quinta-feira. O"
             " biólogo Renato Cruz pediu mais medições.",
             _record(("Paula Viana", "oceanógrafa"), "apresentou os dados", None,
                     "nesta quinta-feira", [(1.8, PT_BAIA)], [("Renato Cruz", "biólogo")])),
    _article(21, "pt-BR", "Serrano vence o clássico",
             f"{PT_JOGO} O atacante Wesley Prado marcou os dois gols, e o técnico, Nelson"
             " Baía, elogiou a defesa.",
             _record(("Wesley Prado", "atacante"), "marcou os dois gols", None, "neste domingo",
                     [(2, PT_JOGO), (0, PT_JOGO)], [("Nelson Baía", "técnico")])),
    _article(22, "pt-BR", "Inflação baixa em Campina Nova",
             f"{PT_INFLACAO} O ministro da Fazenda, Álvaro Neves, comemorou o número.",
             _record(("Tereza Lobo", "economista-chefe do banco regional"), "inflação",
                     "Campina Nova", "nesta terça-feira", [(0.6, PT_INFLACAO)],
                     [("Álvaro Neves", "ministro da Fazenda")])),
    _article(23, "pt-BR", "Biblioteca reabre", PT_BIBLIOTECA,
             _record(("Cecília Ramos", "bibliotecária"), "biblioteca de Pedra Lisa reabre",
                     "Pedra Lisa",
                     "neste sábado", [(3, PT_BIBLIOTECA)], [])),
    _article(24, "pt-BR", "Novas bolsas de estudo",
             f"{PT_BOLSAS} A vice-reitora, Beatriz Coelho, disse que metade será para alunos"
             " de baixa renda.",
             _record(("Mário Sampaio", "reitor"), "novas bolsas de estudo", None,
                     "nesta segunda-feira", [(300, PT_BOLSAS)],
                     [("Beatriz Coelho", "vice-reitora")])),
]
