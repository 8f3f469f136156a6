"""The words of the synthetic corpus: templates and vocabulary, one table per language.

Placeholders: {name} {surname} {role} {city} {weekday} {figure} {other_name}
{other_role} {what} {topic}. Roles are nouns without an article (Portuguese ones are
invariant in gender, so any name fits any role).
"""

from __future__ import annotations

from dataclasses import dataclass

SECTIONS = ("politics", "economy", "sport", "culture", "science")


@dataclass(frozen=True)
class Event:
    """What happened, in one section: a clause, its figure sentence and a headline."""

    what: str
    detail_sentence: str
    title: str
    topic: str
    low: int
    high: int
    step: int = 1


@dataclass(frozen=True)
class LanguageText:
    """Everything one language needs to write articles and summaries."""

    section_names: dict[str, str]
    first_names: list[str]
    surnames: list[str]
    cities: list[str]
    weekdays: list[str]
    roles: dict[str, list[str]]
    events: dict[str, list[Event]]
    lead_main: list[str]
    summary_main: list[str]
    scene: list[str]
    background: dict[str, list[str]]
    quotes: dict[str, list[str]]
    quote_frames: list[str]
    reactions: list[str]
    general_reactions: list[str]
    follow_ups: list[str]  # restate who, where or the figure later in the article
    closings: list[str]


EN = LanguageText(
    section_names={s: s for s in SECTIONS},
    first_names=["Anna", "Mark", "Laura", "David", "Sarah", "Peter", "Helen", "James",
                 "Clara", "Thomas", "Nora", "Oliver", "Emma", "Daniel", "Ruth", "Victor"],
    surnames=["Walker", "Bennett", "Hughes", "Carter", "Morgan", "Fisher", "Reed", "Shaw",
              "Porter", "Lane", "Brooks", "Ward", "Collins", "Grant", "Hale", "Frost"],
    cities=["Riverton", "Northgate", "Lakeview", "Eastport", "Millbrook", "Stonebridge",
            "Fairhaven", "Westfield", "Ashford", "Kingsbury"],
    weekdays=["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday",
              "on Saturday", "on Sunday"],
    roles={
        "politics": ["mayor", "senator", "city council leader", "health minister",
                     "opposition leader", "governor"],
        "economy": ["central bank governor", "finance minister", "union leader",
                    "chief executive of the port authority", "trade minister", "bank analyst"],
        "sport": ["head coach", "team captain", "club president", "league director",
                  "star striker", "race organiser"],
        "culture": ["festival director", "museum curator", "novelist", "theatre director",
                    "film producer", "orchestra conductor"],
        "science": ["lead researcher", "university rector", "space agency director",
                    "climate scientist", "hospital director", "chief engineer"],
    },
    events={
        "politics": [
            Event("approved a new budget for public schools",
                  "The plan sets aside {figure} million dollars for repairs and new teachers.",
                  "{city} approves school budget", "school budget", 20, 400, 5),
            Event("announced a plan to expand the bus network",
                  "The plan adds {figure} new bus lines over the next two years.",
                  "{city} to expand bus network", "bus network", 5, 60),
            Event("won the vote on the housing law",
                  "The law passed with {figure} votes in favour.",
                  "Housing law passes in {city}", "housing law", 41, 95),
            Event("called an early election",
                  "The vote will take place in {figure} days.",
                  "Early election called in {city}", "early election", 30, 90),
        ],
        "economy": [
            Event("raised the interest rate",
                  "The rate now stands at {figure} percent, the highest in a decade.",
                  "Interest rate rises", "interest rate", 3, 14),
            Event("reported a record harvest of coffee",
                  "Farmers exported {figure} thousand tonnes this season.",
                  "Record coffee harvest in {city}", "coffee harvest", 120, 900, 10),
            Event("opened a new factory",
                  "The factory will create {figure} jobs in the region.",
                  "New factory opens in {city}", "new factory", 150, 3000, 50),
            Event("cut the price of electricity",
                  "Households will pay {figure} percent less from next month.",
                  "Electricity prices fall", "electricity price", 3, 25),
        ],
        "sport": [
            Event("led the team to victory in the cup final",
                  "The team won by {figure} goals in front of a full stadium.",
                  "Cup won in {city}", "cup final", 1, 5),
            Event("broke the national record in the marathon",
                  "The new record is {figure} minutes and a few seconds.",
                  "Marathon record falls in {city}", "marathon record", 125, 139),
            Event("signed a new contract with the club",
                  "The contract runs for {figure} seasons.",
                  "New contract signed in {city}", "new contract", 2, 6),
            Event("opened a new stadium",
                  "The stadium has room for {figure} fans.",
                  "New stadium opens in {city}", "new stadium", 15000, 70000, 1000),
        ],
        "culture": [
            Event("opened the film festival",
                  "The festival will show {figure} films from twenty countries.",
                  "Film festival opens in {city}", "film festival", 40, 300, 5),
            Event("unveiled a new exhibition of modern art",
                  "The exhibition brings together {figure} paintings and sculptures.",
                  "Modern art exhibition in {city}", "art exhibition", 30, 250, 5),
            Event("won the national book prize",
                  "The prize comes with {figure} thousand dollars.",
                  "Book prize goes to {name}", "book prize", 10, 100, 5),
            Event("announced a free concert in the main square",
                  "The organisers expect {figure} thousand people.",
                  "Free concert in {city}", "free concert", 5, 80),
        ],
        "science": [
            Event("presented a new vaccine against dengue",
                  "The trial followed {figure} volunteers for two years.",
                  "New dengue vaccine presented", "dengue vaccine", 800, 12000, 100),
            Event("launched a small weather satellite",
                  "The satellite will orbit at {figure} kilometres above the Earth.",
                  "Weather satellite launched", "weather satellite", 400, 900, 10),
            Event("found a new species of frog in the forest",
                  "The team searched {figure} square kilometres of forest.",
                  "New frog species found near {city}", "frog species", 20, 500, 5),
            Event("opened a solar power plant",
                  "The plant will supply {figure} thousand homes.",
                  "Solar plant opens in {city}", "solar plant", 10, 200, 5),
        ],
    },
    lead_main=[
        "{name}, the {role}, {what} in {city} {weekday}.",
        "In {city} {weekday}, the {role} {name} {what}.",
        "The {role} {name} {what} {weekday} in {city}.",
        "{city}'s {role}, {name}, {what} {weekday}.",
    ],
    # The house style names the person first, then their role: the decoder then writes
    # the role the article joins to that name (newsum.modeling.continuations).
    summary_main=[
        "{name}, the {role}, {what} in {city} {weekday}.",
        "In {city}, {name}, the {role}, {what} {weekday}.",
    ],
    scene=[
        "It was a busy morning in {city}.",
        "Rain fell over {city} for most of the day.",
        "The news spread quickly across {city}.",
        "Crowds gathered early in the centre of {city}.",
    ],
    background={
        "politics": [
            "The proposal had been discussed for months.",
            "The opposition had asked for more time to study the text.",
            "The city has grown quickly in recent years.",
            "Previous plans were delayed by a long debate in the council.",
            "Officials said the money would come from existing funds.",
        ],
        "economy": [
            "Prices have risen steadily since last year.",
            "Exporters had warned of weak demand abroad.",
            "The region depends on trade through its port.",
            "Analysts had expected a smaller change.",
            "Markets reacted calmly to the news.",
        ],
        "sport": [
            "The season had started badly for the team.",
            "Thousands of fans travelled to watch the event.",
            "The club has invested heavily in young players.",
            "The weather was cool and dry, ideal for the race.",
            "Tickets sold out within hours.",
        ],
        "culture": [
            "The event has taken place every year since the nineties.",
            "Critics praised the choice of young artists.",
            "Tickets will be on sale at the door.",
            "The city hopes to attract more visitors this year.",
            "Several works had never been shown in public before.",
        ],
        "science": [
            "The project received funding from the national research council.",
            "The results will be published in a scientific journal.",
            "Similar work is under way in other countries.",
            "The team includes students from three universities.",
            "Experts called the result an important step.",
        ],
    },
    quotes={
        "politics": ["This is a good day for the people of {city}",
                     "We kept our promise to the voters",
                     "The work starts now, not tomorrow"],
        "economy": ["We must protect the value of wages",
                    "The numbers show that the effort was worth it",
                    "This will help families and small firms"],
        "sport": ["The players gave everything on the field",
                  "I am proud of this group",
                  "We have worked for this moment for years"],
        "culture": ["Art belongs to everyone in {city}",
                    "The public has always supported us",
                    "This is a celebration of new voices"],
        "science": ["Science needs patience and good data",
                    "The results are very promising",
                    "This work will help many people"],
    },
    quote_frames=[
        "\u201c{quote}\u201d, said {name}.",
        "{name} told reporters: \u201c{quote}.\u201d",
        "\u201c{quote}\u201d, {name} said after the announcement.",
        "\u201c{quote}\u201d, {surname} said.",
    ],
    reactions=[
        "{other_name}, the {other_role}, said the decision came late.",
        "{other_name}, the {other_role}, welcomed the news.",
        "The {other_role} {other_name} promised to follow the case closely.",
    ],
    general_reactions=[
        "Critics asked for more details about the {topic}.",
        "Residents of {city} gave mixed reactions.",
        "Local newspapers gave the story their front page.",
    ],
    follow_ups=[
        "{surname} is due back in {city} next week to explain the {topic} in detail.",
        "The office of {name} confirmed the figure of {figure} later {weekday}.",
        "{surname} repeated the figure of {figure} at a press conference in {city}.",
        "Asked about the {topic} in {city}, {surname} said more news would follow.",
    ],
    closings=[
        "More details are expected next week.",
        "A public meeting is planned for next month.",
        "The next steps will be announced soon.",
    ],
)


PT = LanguageText(
    section_names={"politics": "política", "economy": "economia", "sport": "esporte",
                   "culture": "cultura", "science": "ciência"},
    first_names=["Ana", "João", "Mariana", "Pedro", "Luíza", "Rafael", "Beatriz", "Tiago",
                 "Júlia", "André", "Camila", "Lucas", "Fernanda", "Márcio", "Letícia", "Caio"],
    surnames=["Souza", "Araújo", "Ribeiro", "Gonçalves", "Carvalho", "Moreira", "Mendes",
              "Barros", "Teixeira", "Lopes", "Magalhães", "Azevedo", "Brandão", "Falcão",
              "Nogueira", "Peixoto"],
    cities=["São Lourenço", "Porto Claro", "Vila Nova", "Serra Azul", "Campo Belo",
            "Rio Manso", "Boa Esperança", "Santa Luzia", "Águas Claras", "Pedra Branca"],
    weekdays=["nesta segunda-feira", "nesta terça-feira", "nesta quarta-feira",
              "nesta quinta-feira", "nesta sexta-feira", "neste sábado", "neste domingo"],
    roles={
        "politics": ["presidente da câmara", "líder da oposição", "chefe do governo estadual",
                     "líder do governo", "representante do estado", "presidente do partido"],
        "economy": ["presidente do banco central", "líder sindical", "gerente do porto",
                    "presidente da associação comercial", "economista-chefe",
                    "chefe da pasta da economia"],
        "sport": ["chefe da comissão técnica", "líder do time", "presidente do clube",
                  "atleta da seleção", "chefe da liga", "atacante do time"],
        "culture": ["presidente do museu", "presidente do festival", "artista",
                    "cineasta", "regente da orquestra", "chefe do teatro"],
        "science": ["chefe de pesquisa", "presidente da universidade",
                    "chefe da agência espacial", "cientista do clima",
                    "gerente do hospital", "chefe de engenharia"],
    },
    events={
        "politics": [
            Event("aprovou um novo orçamento para as escolas públicas",
                  "O plano reserva {figure} milhões de reais para reformas e novos professores.",
                  "{city} aprova orçamento das escolas", "orçamento das escolas", 20, 400, 5),
            Event("anunciou um plano para ampliar a rede de ônibus",
                  "O plano cria {figure} novas linhas de ônibus nos próximos dois anos.",
                  "{city} vai ampliar rede de ônibus", "rede de ônibus", 5, 60),
            Event("venceu a votação da lei de moradia",
                  "A lei foi aprovada com {figure} votos a favor.",
                  "Lei de moradia é aprovada em {city}", "lei de moradia", 41, 95),
            Event("convocou uma eleição antecipada",
                  "A votação acontece em {figure} dias.",
                  "Eleição antecipada em {city}", "eleição antecipada", 30, 90),
        ],
        "economy": [
            Event("elevou a taxa de juros",
                  "A taxa agora está em {figure} por cento, a maior em uma década.",
                  "Taxa de juros sobe", "taxa de juros", 3, 14),
            Event("anunciou uma safra recorde de café",
                  "Os produtores exportaram {figure} mil toneladas nesta safra.",
                  "Safra recorde de café em {city}", "safra de café", 120, 900, 10),
            Event("inaugurou uma nova fábrica",
                  "A fábrica vai gerar {figure} empregos na região.",
                  "Nova fábrica em {city}", "nova fábrica", 150, 3000, 50),
            Event("reduziu o preço da energia elétrica",
                  "As famílias vão pagar {figure} por cento a menos a partir do próximo mês.",
                  "Conta de luz fica mais barata", "preço da energia", 3, 25),
        ],
        "sport": [
            Event("levou o time à vitória na final da copa",
                  "O time venceu por {figure} gols de diferença diante de um estádio lotado.",
                  "Copa conquistada em {city}", "final da copa", 1, 5),
            Event("bateu o recorde nacional da maratona",
                  "O novo recorde é de {figure} minutos e poucos segundos.",
                  "Recorde da maratona cai em {city}", "recorde da maratona", 125, 139),
            Event("assinou um novo contrato com o clube",
                  "O contrato vale por {figure} temporadas.",
                  "Novo contrato assinado em {city}", "novo contrato", 2, 6),
            Event("inaugurou um novo estádio",
                  "O estádio tem lugar para {figure} torcedores.",
                  "Novo estádio em {city}", "novo estádio", 15000, 70000, 1000),
        ],
        "culture": [
            Event("abriu o festival de cinema",
                  "O festival vai exibir {figure} filmes de vinte países.",
                  "Festival de cinema começa em {city}", "festival de cinema", 40, 300, 5),
            Event("apresentou uma nova exposição de arte moderna",
                  "A exposição reúne {figure} pinturas e esculturas.",
                  "Exposição de arte moderna em {city}", "exposição de arte", 30, 250, 5),
            Event("ganhou o prêmio nacional do livro",
                  "O prêmio é de {figure} mil reais.",
                  "Prêmio do livro vai para {name}", "prêmio do livro", 10, 100, 5),
            Event("anunciou um show gratuito na praça principal",
                  "Os organizadores esperam {figure} mil pessoas.",
                  "Show gratuito em {city}", "show gratuito", 5, 80),
        ],
        "science": [
            Event("apresentou uma nova vacina contra a dengue",
                  "O estudo acompanhou {figure} voluntários durante dois anos.",
                  "Nova vacina contra a dengue", "vacina contra a dengue", 800, 12000, 100),
            Event("lançou um pequeno satélite meteorológico",
                  "O satélite vai orbitar a {figure} quilômetros da Terra.",
                  "Satélite meteorológico lançado", "satélite meteorológico", 400, 900, 10),
            Event("descobriu uma nova espécie de sapo na floresta",
                  "A equipe percorreu {figure} quilômetros quadrados de mata.",
                  "Nova espécie de sapo perto de {city}", "espécie de sapo", 20, 500, 5),
            Event("inaugurou uma usina de energia solar",
                  "A usina vai abastecer {figure} mil casas.",
                  "Usina solar em {city}", "usina solar", 10, 200, 5),
        ],
    },
    lead_main=[
        "{name}, {role}, {what} em {city} {weekday}.",
        "Em {city}, {weekday}, {name}, {role}, {what}.",
        "{name}, {role}, {what} {weekday}, em {city}.",
        "{weekday}, em {city}, {name} ({role}) {what}.",
    ],
    summary_main=[
        "{name}, {role}, {what} em {city} {weekday}.",
        "Em {city}, {name}, {role}, {what} {weekday}.",
    ],
    scene=[
        "A manhã foi agitada em {city}.",
        "Choveu em {city} durante quase todo o dia.",
        "A notícia se espalhou rapidamente por {city}.",
        "Uma multidão se reuniu cedo no centro de {city}.",
    ],
    background={
        "politics": [
            "A proposta era discutida havia meses.",
            "A oposição tinha pedido mais tempo para estudar o texto.",
            "A cidade cresceu rapidamente nos últimos anos.",
            "Planos anteriores foram adiados por um longo debate na câmara.",
            "Segundo o governo, o dinheiro virá de recursos já existentes.",
        ],
        "economy": [
            "Os preços sobem sem parar desde o ano passado.",
            "Os exportadores tinham alertado para a demanda fraca no exterior.",
            "A região depende do comércio pelo seu porto.",
            "Os analistas esperavam uma mudança menor.",
            "O mercado reagiu com calma à notícia.",
        ],
        "sport": [
            "A temporada tinha começado mal para o time.",
            "Milhares de torcedores viajaram para ver o evento.",
            "O clube investiu muito em jovens jogadores.",
            "O tempo estava fresco e seco, ideal para a prova.",
            "Os ingressos se esgotaram em poucas horas.",
        ],
        "culture": [
            "O evento acontece todos os anos desde a década de noventa.",
            "A crítica elogiou a escolha de artistas jovens.",
            "Os ingressos serão vendidos na entrada.",
            "A cidade espera atrair mais visitantes neste ano.",
            "Várias obras nunca tinham sido mostradas ao público.",
        ],
        "science": [
            "O projeto recebeu verba do conselho nacional de pesquisa.",
            "Os resultados serão publicados em uma revista científica.",
            "Trabalhos parecidos estão em andamento em outros países.",
            "A equipe reúne estudantes de três universidades.",
            "Especialistas chamaram o resultado de um passo importante.",
        ],
    },
    quotes={
        "politics": ["Este é um bom dia para o povo de {city}",
                     "Cumprimos a promessa feita aos eleitores",
                     "O trabalho começa agora, não amanhã"],
        "economy": ["Precisamos proteger o valor dos salários",
                    "Os números mostram que o esforço valeu a pena",
                    "Isso vai ajudar as famílias e as pequenas empresas"],
        "sport": ["Os jogadores deram tudo em campo",
                  "Tenho orgulho deste grupo",
                  "Trabalhamos anos por este momento"],
        "culture": ["A arte pertence a todos em {city}",
                    "O público sempre nos apoiou",
                    "Esta é uma celebração de novas vozes"],
        "science": ["A ciência precisa de paciência e de bons dados",
                    "Os resultados são muito promissores",
                    "Este trabalho vai ajudar muitas pessoas"],
    },
    quote_frames=[
        "\u201c{quote}\u201d, disse {name}.",
        "{name} afirmou aos jornalistas: \u201c{quote}.\u201d",
        "\u201c{quote}\u201d, declarou {name} depois do anúncio.",
        "\u201c{quote}\u201d, afirmou {surname}.",
    ],
    reactions=[
        "{other_name}, {other_role}, disse que a decisão chegou tarde.",
        "{other_name}, {other_role}, comemorou a notícia.",
        "{other_name} ({other_role}) prometeu acompanhar o caso de perto.",
    ],
    general_reactions=[
        "Críticos pediram mais detalhes sobre o tema: {topic}.",
        "Os moradores de {city} reagiram de formas diferentes.",
        "Os jornais locais deram a notícia na primeira página.",
    ],
    follow_ups=[
        "{surname} volta a {city} na próxima semana para detalhar o tema: {topic}.",
        "A assessoria de {name} confirmou o número de {figure} {weekday}.",
        "{surname} repetiu o número de {figure} em entrevista coletiva em {city}.",
        "Em {city}, {surname} disse que haverá novidades sobre o tema: {topic}.",
    ],
    closings=[
        "Mais detalhes são esperados na próxima semana.",
        "Uma reunião pública está marcada para o próximo mês.",
        "Os próximos passos serão anunciados em breve.",
    ],
)

LANGUAGE_TEXT: dict[str, LanguageText] = {"en": EN, "pt-BR": PT}
