"""Generate training questions with reference answers under data/train/.

Writes three JSONL files, in the shapes of the gold evaluation sets but with other questions:

* ``facts.jsonl``      ``{"question": ..., "answers": [aliases]}`` from the fact tables below
* ``arithmetic.jsonl`` ``{"question": ..., "answer": "<worked solution>\\n#### <number>"}`` (GSM8K shape)
* ``yesno.jsonl``      ``{"question": ..., "answer": true|false}``, about half of each

The facts and word problems are meant to measure learning on held-out material, so every
question is screened against data/eval/*.jsonl: one that is a near duplicate of an eval
question (ROUGE-L >= 0.7, ``distill.data.dedupe.NearDuplicateIndex``) is skipped, as is one that
repeats (lower-cased, whitespace-collapsed) an eval question, a prompt in data/prompts.jsonl or
an earlier training question. The word problems use other names, objects and wording than
scripts/make_eval.py.

Deterministic (fixed seed), so re-running reproduces the committed files byte for byte:

    python scripts/make_train_data.py [--out-dir data/train] [--seed 11] [--n-facts 300] [--n-arithmetic 400]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from distill.data.dedupe import NearDuplicateIndex  # noqa: E402

# ---------------------------------------------------------------- fact tables
# Countries whose capital, language or currency the eval set asks about are left out of the
# matching table, so those answers are not taught here either.

CAPITALS: list[tuple[str, list[str]]] = [
    ("Peru", ["Lima"]), ("Chile", ["Santiago"]), ("Colombia", ["Bogotá", "Bogota"]),
    ("Venezuela", ["Caracas"]), ("Ecuador", ["Quito"]), ("Uruguay", ["Montevideo"]),
    ("Paraguay", ["Asunción", "Asuncion"]), ("Brazil", ["Brasília", "Brasilia"]),
    ("Cuba", ["Havana", "La Habana"]), ("Jamaica", ["Kingston"]), ("Costa Rica", ["San José", "San Jose"]),
    ("Panama", ["Panama City"]), ("Guatemala", ["Guatemala City"]), ("Honduras", ["Tegucigalpa"]),
    ("Nicaragua", ["Managua"]), ("El Salvador", ["San Salvador"]), ("the Dominican Republic", ["Santo Domingo"]),
    ("Haiti", ["Port-au-Prince"]), ("Finland", ["Helsinki"]), ("Denmark", ["Copenhagen"]),
    ("Iceland", ["Reykjavík", "Reykjavik"]), ("Belgium", ["Brussels"]), ("Hungary", ["Budapest"]),
    ("the Czech Republic", ["Prague"]), ("Romania", ["Bucharest"]), ("Bulgaria", ["Sofia"]),
    ("Serbia", ["Belgrade"]), ("Croatia", ["Zagreb"]), ("Ukraine", ["Kyiv", "Kiev"]), ("Belarus", ["Minsk"]),
    ("Estonia", ["Tallinn"]), ("Latvia", ["Riga"]), ("Lithuania", ["Vilnius"]), ("Slovakia", ["Bratislava"]),
    ("Slovenia", ["Ljubljana"]), ("Albania", ["Tirana", "Tirane"]), ("Malta", ["Valletta"]),
    ("Scotland", ["Edinburgh"]), ("Wales", ["Cardiff"]), ("Turkey", ["Ankara"]), ("Armenia", ["Yerevan"]),
    ("Azerbaijan", ["Baku"]), ("Uzbekistan", ["Tashkent"]), ("Iran", ["Tehran", "Teheran"]),
    ("Iraq", ["Baghdad"]), ("Saudi Arabia", ["Riyadh"]), ("Syria", ["Damascus"]), ("Lebanon", ["Beirut"]),
    ("Jordan", ["Amman"]), ("Qatar", ["Doha"]), ("Oman", ["Muscat"]), ("Kuwait", ["Kuwait City"]),
    ("Afghanistan", ["Kabul"]), ("Pakistan", ["Islamabad"]), ("Bangladesh", ["Dhaka"]),
    ("Nepal", ["Kathmandu"]), ("Vietnam", ["Hanoi"]), ("the Philippines", ["Manila"]),
    ("South Korea", ["Seoul"]), ("North Korea", ["Pyongyang"]), ("Mongolia", ["Ulaanbaatar", "Ulan Bator"]),
    ("Cambodia", ["Phnom Penh"]), ("Laos", ["Vientiane"]), ("New Zealand", ["Wellington"]), ("Fiji", ["Suva"]),
    ("Morocco", ["Rabat"]), ("Algeria", ["Algiers"]), ("Tunisia", ["Tunis"]), ("Libya", ["Tripoli"]),
    ("Ethiopia", ["Addis Ababa"]), ("Ghana", ["Accra"]), ("Nigeria", ["Abuja"]), ("Senegal", ["Dakar"]),
    ("Uganda", ["Kampala"]), ("Rwanda", ["Kigali"]), ("Zimbabwe", ["Harare"]), ("Zambia", ["Lusaka"]),
    ("Angola", ["Luanda"]), ("Mali", ["Bamako"]), ("Madagascar", ["Antananarivo"]), ("Mozambique", ["Maputo"]),
    ("Somalia", ["Mogadishu"]), ("Botswana", ["Gaborone"]), ("Namibia", ["Windhoek"]),
    ("Cameroon", ["Yaoundé", "Yaounde"]), ("the Democratic Republic of the Congo", ["Kinshasa"]),
]

US_STATE_CAPITALS: list[tuple[str, str]] = [
    ("Texas", "Austin"), ("California", "Sacramento"), ("Florida", "Tallahassee"), ("Illinois", "Springfield"),
    ("Alaska", "Juneau"), ("Hawaii", "Honolulu"), ("Massachusetts", "Boston"), ("Georgia", "Atlanta"),
]

ELEMENTS: list[tuple[str, str]] = [
    ("hydrogen", "H"), ("helium", "He"), ("lithium", "Li"), ("beryllium", "Be"), ("boron", "B"),
    ("carbon", "C"), ("nitrogen", "N"), ("oxygen", "O"), ("fluorine", "F"), ("neon", "Ne"), ("sodium", "Na"),
    ("magnesium", "Mg"), ("aluminium", "Al"), ("silicon", "Si"), ("phosphorus", "P"), ("sulfur", "S"),
    ("chlorine", "Cl"), ("argon", "Ar"), ("potassium", "K"), ("calcium", "Ca"), ("titanium", "Ti"),
    ("chromium", "Cr"), ("manganese", "Mn"), ("iron", "Fe"), ("cobalt", "Co"), ("nickel", "Ni"),
    ("copper", "Cu"), ("zinc", "Zn"), ("bromine", "Br"), ("krypton", "Kr"), ("silver", "Ag"), ("tin", "Sn"),
    ("iodine", "I"), ("xenon", "Xe"), ("tungsten", "W"), ("platinum", "Pt"), ("gold", "Au"),
    ("mercury", "Hg"), ("lead", "Pb"), ("radon", "Rn"), ("uranium", "U"), ("plutonium", "Pu"),
]
# Elements also asked the other way round ("Which element has the symbol Fe?"): symbols that
# do not spell out the English name.
REVERSE_SYMBOLS = ["Fe", "Au", "Ag", "Pb", "Na", "K", "Hg", "Cu", "Sn", "W"]

# Surname aliases only where the surname alone names the right person.
BOOKS: list[tuple[str, list[str]]] = [
    ("Pride and Prejudice", ["Jane Austen", "Austen"]), ("Emma", ["Jane Austen", "Austen"]),
    ("Sense and Sensibility", ["Jane Austen", "Austen"]),
    ("Nineteen Eighty-Four", ["George Orwell", "Orwell"]), ("Animal Farm", ["George Orwell", "Orwell"]),
    ("Hamlet", ["William Shakespeare", "Shakespeare"]), ("Macbeth", ["William Shakespeare", "Shakespeare"]),
    ("Othello", ["William Shakespeare", "Shakespeare"]), ("King Lear", ["William Shakespeare", "Shakespeare"]),
    ("The Tempest", ["William Shakespeare", "Shakespeare"]),
    ("A Midsummer Night's Dream", ["William Shakespeare", "Shakespeare"]),
    ("Moby-Dick", ["Herman Melville", "Melville"]),
    ("War and Peace", ["Leo Tolstoy", "Tolstoy"]), ("Anna Karenina", ["Leo Tolstoy", "Tolstoy"]),
    ("Crime and Punishment", ["Fyodor Dostoevsky", "Dostoevsky", "Dostoyevsky"]),
    ("The Brothers Karamazov", ["Fyodor Dostoevsky", "Dostoevsky", "Dostoyevsky"]),
    ("Don Quixote", ["Miguel de Cervantes", "Cervantes"]),
    ("Great Expectations", ["Charles Dickens", "Dickens"]), ("Oliver Twist", ["Charles Dickens", "Dickens"]),
    ("A Tale of Two Cities", ["Charles Dickens", "Dickens"]), ("A Christmas Carol", ["Charles Dickens", "Dickens"]),
    ("David Copperfield", ["Charles Dickens", "Dickens"]),
    ("Jane Eyre", ["Charlotte Brontë", "Charlotte Bronte"]), ("Wuthering Heights", ["Emily Brontë", "Emily Bronte"]),
    ("Frankenstein", ["Mary Shelley"]), ("Dracula", ["Bram Stoker", "Stoker"]),
    ("The Great Gatsby", ["F. Scott Fitzgerald", "Scott Fitzgerald", "Fitzgerald"]),
    ("To Kill a Mockingbird", ["Harper Lee"]),
    ("The Adventures of Tom Sawyer", ["Mark Twain", "Twain", "Samuel Clemens"]),
    ("Adventures of Huckleberry Finn", ["Mark Twain", "Twain", "Samuel Clemens"]),
    ("Alice's Adventures in Wonderland", ["Lewis Carroll", "Carroll"]),
    ("The Hobbit", ["J. R. R. Tolkien", "J.R.R. Tolkien", "Tolkien"]),
    ("The Lord of the Rings", ["J. R. R. Tolkien", "J.R.R. Tolkien", "Tolkien"]),
    ("Harry Potter and the Philosopher's Stone", ["J. K. Rowling", "J.K. Rowling", "Rowling"]),
    ("The Old Man and the Sea", ["Ernest Hemingway", "Hemingway"]),
    ("Les Misérables", ["Victor Hugo", "Hugo"]), ("The Divine Comedy", ["Dante Alighieri", "Dante"]),
    ("One Hundred Years of Solitude", ["Gabriel García Márquez", "Gabriel Garcia Marquez", "García Márquez", "Garcia Marquez"]),
    ("The Catcher in the Rye", ["J. D. Salinger", "J.D. Salinger", "Salinger"]),
    ("Brave New World", ["Aldous Huxley", "Huxley"]), ("On the Origin of Species", ["Charles Darwin", "Darwin"]),
    ("Treasure Island", ["Robert Louis Stevenson", "Stevenson"]), ("Robinson Crusoe", ["Daniel Defoe", "Defoe"]),
    ("Gulliver's Travels", ["Jonathan Swift", "Swift"]), ("The Jungle Book", ["Rudyard Kipling", "Kipling"]),
    ("The Time Machine", ["H. G. Wells", "H.G. Wells", "Wells"]),
    ("The War of the Worlds", ["H. G. Wells", "H.G. Wells", "Wells"]),
    ("Around the World in Eighty Days", ["Jules Verne", "Verne"]),
    ("Twenty Thousand Leagues Under the Seas", ["Jules Verne", "Verne"]),
    ("Of Mice and Men", ["John Steinbeck", "Steinbeck"]), ("The Grapes of Wrath", ["John Steinbeck", "Steinbeck"]),
    ("Lord of the Flies", ["William Golding", "Golding"]), ("Fahrenheit 451", ["Ray Bradbury", "Bradbury"]),
    ("The Little Prince", ["Antoine de Saint-Exupéry", "Antoine de Saint-Exupery", "Saint-Exupéry", "Saint-Exupery"]),
    ("Charlotte's Web", ["E. B. White", "E.B. White"]), ("The Picture of Dorian Gray", ["Oscar Wilde", "Wilde"]),
    ("Madame Bovary", ["Gustave Flaubert", "Flaubert"]), ("Peter Pan", ["J. M. Barrie", "J.M. Barrie", "Barrie"]),
    ("The Canterbury Tales", ["Geoffrey Chaucer", "Chaucer"]), ("Paradise Lost", ["John Milton", "Milton"]),
    ("the novel Ulysses", ["James Joyce", "Joyce"]), ("The Metamorphosis", ["Franz Kafka", "Kafka"]),
    ("Little Women", ["Louisa May Alcott", "Alcott"]), ("The Call of the Wild", ["Jack London"]),
    ("Winnie-the-Pooh", ["A. A. Milne", "A.A. Milne", "Milne"]), ("The Raven", ["Edgar Allan Poe", "Poe"]),
    ("The Hunger Games", ["Suzanne Collins"]), ("The Chronicles of Narnia", ["C. S. Lewis", "C.S. Lewis"]),
    ("Charlie and the Chocolate Factory", ["Roald Dahl", "Dahl"]), ("The Cat in the Hat", ["Dr. Seuss", "Seuss"]),
    ("Anne of Green Gables", ["L. M. Montgomery", "L.M. Montgomery", "Montgomery"]),
    ("Heart of Darkness", ["Joseph Conrad", "Conrad"]),
    ("The Count of Monte Cristo", ["Alexandre Dumas", "Dumas"]), ("The Three Musketeers", ["Alexandre Dumas", "Dumas"]),
    ("The Prince", ["Niccolò Machiavelli", "Niccolo Machiavelli", "Machiavelli"]),
    ("Things Fall Apart", ["Chinua Achebe", "Achebe"]), ("Mrs Dalloway", ["Virginia Woolf", "Woolf"]),
]

ARTWORKS: list[tuple[str, list[str]]] = [
    ("The Starry Night", ["Vincent van Gogh", "van Gogh"]), ("The Last Supper", ["Leonardo da Vinci", "da Vinci", "Leonardo"]),
    ("The Scream", ["Edvard Munch", "Munch"]), ("Guernica", ["Pablo Picasso", "Picasso"]),
    ("The Persistence of Memory", ["Salvador Dalí", "Salvador Dali", "Dalí", "Dali"]),
    ("The Birth of Venus", ["Sandro Botticelli", "Botticelli"]),
    ("Girl with a Pearl Earring", ["Johannes Vermeer", "Vermeer"]), ("The Night Watch", ["Rembrandt"]),
    ("Impression, Sunrise", ["Claude Monet", "Monet"]), ("The School of Athens", ["Raphael"]),
    ("American Gothic", ["Grant Wood"]), ("Las Meninas", ["Diego Velázquez", "Diego Velazquez", "Velázquez", "Velazquez"]),
    ("The Garden of Earthly Delights", ["Hieronymus Bosch", "Bosch"]),
    ("The Third of May 1808", ["Francisco Goya", "Goya"]),
    ("Liberty Leading the People", ["Eugène Delacroix", "Eugene Delacroix", "Delacroix"]),
    ("Nighthawks", ["Edward Hopper", "Hopper"]), ("The Son of Man", ["René Magritte", "Rene Magritte", "Magritte"]),
    ("The Arnolfini Portrait", ["Jan van Eyck", "van Eyck"]), ("The Hay Wain", ["John Constable", "Constable"]),
    ("A Sunday Afternoon on the Island of La Grande Jatte", ["Georges Seurat", "Seurat"]),
    ("The Fighting Temeraire", ["J. M. W. Turner", "J.M.W. Turner", "Turner"]),
    ("The Two Fridas", ["Frida Kahlo", "Kahlo"]), ("Campbell's Soup Cans", ["Andy Warhol", "Warhol"]),
]

LANGUAGES: list[tuple[str, list[str]]] = [
    ("Spain", ["Spanish"]), ("Mexico", ["Spanish"]), ("Argentina", ["Spanish"]), ("Colombia", ["Spanish"]),
    ("Portugal", ["Portuguese"]), ("Italy", ["Italian"]), ("Japan", ["Japanese"]), ("Russia", ["Russian"]),
    ("Greece", ["Greek"]), ("the Netherlands", ["Dutch"]), ("Poland", ["Polish"]), ("Sweden", ["Swedish"]),
    ("Norway", ["Norwegian"]), ("Denmark", ["Danish"]), ("Finland", ["Finnish"]), ("Turkey", ["Turkish"]),
    ("Iran", ["Persian", "Farsi"]), ("Egypt", ["Arabic"]), ("Saudi Arabia", ["Arabic"]), ("South Korea", ["Korean"]),
    ("Vietnam", ["Vietnamese"]), ("Thailand", ["Thai"]), ("Hungary", ["Hungarian"]), ("the Czech Republic", ["Czech"]),
    ("Ukraine", ["Ukrainian"]), ("Israel", ["Hebrew"]), ("Indonesia", ["Indonesian", "Bahasa Indonesia"]),
    ("Iceland", ["Icelandic"]), ("Romania", ["Romanian"]), ("Australia", ["English"]),
    ("China", ["Mandarin", "Chinese", "Mandarin Chinese", "Standard Chinese"]),
]

CURRENCIES: list[tuple[str, list[str]]] = [
    ("the United Kingdom", ["pound sterling", "pound", "pounds", "sterling"]), ("Russia", ["ruble", "rouble"]),
    ("India", ["rupee", "Indian rupee"]), ("China", ["yuan", "renminbi"]), ("Mexico", ["peso", "Mexican peso"]),
    ("Switzerland", ["Swiss franc", "franc"]), ("South Korea", ["won", "South Korean won"]),
    ("Brazil", ["real", "Brazilian real"]), ("South Africa", ["rand"]), ("Germany", ["euro"]), ("Italy", ["euro"]),
    ("Spain", ["euro"]), ("France", ["euro"]), ("Ireland", ["euro"]), ("Turkey", ["lira", "Turkish lira"]),
    ("Sweden", ["krona", "Swedish krona"]), ("Norway", ["krone", "Norwegian krone"]),
    ("Denmark", ["krone", "Danish krone"]), ("Poland", ["złoty", "zloty"]),
    ("Israel", ["shekel", "new shekel", "new Israeli shekel"]), ("Canada", ["Canadian dollar", "dollar"]),
    ("Australia", ["Australian dollar", "dollar"]), ("Thailand", ["baht"]), ("Vietnam", ["dong", "đồng"]),
    ("Egypt", ["Egyptian pound", "pound"]), ("Hungary", ["forint"]), ("the Czech Republic", ["koruna", "Czech koruna"]),
    ("Indonesia", ["rupiah"]), ("the Philippines", ["peso", "Philippine peso"]),
    ("Argentina", ["peso", "Argentine peso"]), ("Nigeria", ["naira"]), ("Kenya", ["shilling", "Kenyan shilling"]),
    ("Saudi Arabia", ["riyal"]),
]

# Countries wholly on one continent: no transcontinental ones, none with overseas parts on
# another listed continent (France, Spain, Portugal, Denmark), nothing in Central America or
# the Caribbean, where continent conventions differ.
CONTINENTS: dict[str, list[str]] = {
    "Africa": ["Kenya", "Nigeria", "Ghana", "Ethiopia", "Morocco", "Senegal", "Uganda", "Zimbabwe", "Angola",
               "Mali", "Madagascar", "Tunisia", "Algeria", "Botswana"],
    "South America": ["Peru", "Chile", "Argentina", "Colombia", "Brazil", "Venezuela", "Uruguay", "Paraguay",
                      "Bolivia", "Ecuador"],
    "North America": ["Canada", "Mexico", "the United States"],
    "Asia": ["Japan", "India", "Vietnam", "Thailand", "Mongolia", "Nepal", "China", "Pakistan", "Bangladesh",
             "South Korea", "Cambodia", "Laos", "Iran", "Saudi Arabia", "Iraq"],
    "Europe": ["Poland", "Sweden", "Hungary", "Ireland", "Norway", "Italy", "Germany", "Finland", "Austria",
               "Belgium", "Greece", "Romania", "Switzerland", "Slovakia", "Lithuania"],
}

PLANETS = ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"]
ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]

# Single facts, written out as (question, aliases).
WRITTEN: list[tuple[str, list[str]]] = [
    # largest, longest, smallest
    ("Which country is the largest in the world by area?", ["Russia"]),
    ("Name the largest continent by area.", ["Asia"]),
    ("Which continent is the smallest?", ["Australia", "Oceania"]),
    ("Which island is the biggest on Earth?", ["Greenland"]),
    ("Which land animal stands tallest?", ["giraffe"]),
    ("Which living bird is the largest?", ["ostrich"]),
    ("Which fish species is the biggest?", ["whale shark"]),
    ("Which planet has the hottest surface?", ["Venus"]),
    ("Which planet in the solar system is the smallest?", ["Mercury"]),
    ("Which planet lies farthest from the Sun?", ["Neptune"]),
    ("Which planet is famous for its Great Red Spot?", ["Jupiter"]),
    ("Which planet rotates on its side?", ["Uranus"]),
    ("Which planet is known for its large, bright rings?", ["Saturn"]),
    ("How many planets are in our solar system?", ["8", "eight"]),
    ("In which ocean trench is the deepest point on Earth?", ["Mariana Trench", "Marianas Trench"]),
    ("Which is the largest of the Great Lakes?", ["Lake Superior", "Superior"]),
    ("Which lake is the deepest on Earth?", ["Lake Baikal", "Baikal"]),
    ("Which ocean is the second largest?", ["Atlantic", "Atlantic Ocean"]),
    ("Which ocean is the smallest?", ["Arctic", "Arctic Ocean"]),
    ("Which ocean lies between Europe and North America?", ["Atlantic", "Atlantic Ocean"]),
    ("Which ocean lies between Africa and Australia?", ["Indian Ocean", "Indian"]),
    ("Name Africa's highest mountain.", ["Kilimanjaro", "Mount Kilimanjaro"]),
    ("Which mountain is the highest in South America?", ["Aconcagua"]),
    ("Which country covers the most area in South America?", ["Brazil"]),
    ("Which country covers the most area in Africa?", ["Algeria"]),
    ("Which US state is the largest by area?", ["Alaska"]),
    ("Which independent country has the smallest area?", ["Vatican City", "Vatican"]),
    ("Which rainforest is the biggest on Earth?", ["Amazon", "Amazon rainforest"]),
    ("Which moon is the largest in the solar system?", ["Ganymede"]),
    ("Name Saturn's largest moon.", ["Titan"]),
    ("Which coral reef system is the biggest on Earth?", ["Great Barrier Reef"]),
    # landmarks and rivers
    ("In which city is the Eiffel Tower?", ["Paris"]),
    ("In which city is the Colosseum?", ["Rome"]),
    ("In which city is the Acropolis?", ["Athens"]),
    ("In which Italian city does the famous leaning bell tower stand?", ["Pisa"]),
    ("In which city is the Golden Gate Bridge?", ["San Francisco"]),
    ("In which city is the Sagrada Família?", ["Barcelona"]),
    ("In which city is the Brandenburg Gate?", ["Berlin"]),
    ("In which city is the Forbidden City?", ["Beijing", "Peking"]),
    ("In which city is the Statue of Liberty?", ["New York", "New York City"]),
    ("In which city is Big Ben?", ["London"]),
    ("In which city is the statue of Christ the Redeemer?", ["Rio de Janeiro", "Rio"]),
    ("In which country is the Taj Mahal?", ["India"]),
    ("In which country are the pyramids of Giza?", ["Egypt"]),
    ("In which country is Machu Picchu?", ["Peru"]),
    ("In which country is Stonehenge?", ["England", "United Kingdom", "UK", "Britain"]),
    ("In which country is Angkor Wat?", ["Cambodia"]),
    ("In which country is the ancient city of Petra?", ["Jordan"]),
    ("In which country is Chichen Itza?", ["Mexico"]),
    ("In which country is Mount Fuji?", ["Japan"]),
    ("Which river flows through Paris?", ["Seine", "the Seine"]),
    ("Which river flows through London?", ["Thames", "the Thames"]),
    ("Which river flows through Rome?", ["Tiber", "the Tiber"]),
    ("Which river flows through Cairo?", ["Nile", "the Nile"]),
    ("Which river flows through both Vienna and Budapest?", ["Danube", "the Danube"]),
    ("Which river flows through Baghdad?", ["Tigris", "the Tigris"]),
    ("Which river flows past New Orleans?", ["Mississippi", "the Mississippi"]),
    # animals
    ("What name is given to a young horse?", ["foal", "colt", "filly"]),
    ("What name is given to a young sheep?", ["lamb"]),
    ("What name is given to a young goat?", ["kid"]),
    ("What name is given to a young frog?", ["tadpole", "froglet"]),
    ("What name is given to a young kangaroo?", ["joey"]),
    ("What name is given to a young bear?", ["cub"]),
    ("What name is given to a young duck?", ["duckling"]),
    ("What name is given to a young swan?", ["cygnet"]),
    ("What name is given to a young deer?", ["fawn"]),
    ("What name is given to a young pig?", ["piglet"]),
    ("What name is given to a young goose?", ["gosling"]),
    ("What name is given to a young owl?", ["owlet"]),
    ("What do we call a group of lions?", ["pride"]),
    ("What do we call a group of wolves?", ["pack"]),
    ("What do we call a group of geese on the ground?", ["gaggle"]),
    ("What do we call a group of fish swimming together?", ["school", "shoal"]),
    ("What do we call a female sheep?", ["ewe"]),
    ("What do we call a female horse?", ["mare"]),
    ("What do we call an adult male chicken?", ["rooster", "cockerel", "cock"]),
    ("Which animal neighs?", ["horse"]),
    ("Which bird quacks?", ["duck"]),
    ("Which farm animal goes baa?", ["sheep"]),
    ("Which farm animal oinks?", ["pig"]),
    ("Which mammal is able to truly fly?", ["bat"]),
    ("What do giant pandas mainly eat?", ["bamboo"]),
    ("What do koalas mainly eat?", ["eucalyptus", "eucalyptus leaves"]),
    ("Where does a mother kangaroo carry her baby?", ["pouch", "in her pouch"]),
    ("An octopus has how many arms?", ["8", "eight"]),
    ("An octopus has how many hearts?", ["3", "three"]),
    ("A dromedary camel has how many humps?", ["1", "one"]),
    ("A Bactrian camel has how many humps?", ["2", "two"]),
    ("Which animal is called the ship of the desert?", ["camel"]),
    ("Which African animal has black and white stripes?", ["zebra"]),
    ("Which flightless bird lives in Antarctica?", ["penguin", "emperor penguin"]),
    ("Which bird is the fastest when diving?", ["peregrine falcon", "peregrine"]),
    ("What kind of animal is a Komodo dragon?", ["lizard"]),
    ("Which insect larva spins silk that people weave into cloth?", ["silkworm", "silk moth"]),
    ("In which big cat species do the males grow a large mane?", ["lion"]),
    # people
    ("Who discovered penicillin in 1928?", ["Alexander Fleming", "Fleming"]),
    ("Which scientist developed the theory of relativity?", ["Albert Einstein", "Einstein"]),
    ("Which scientist formulated the three laws of motion?", ["Isaac Newton", "Newton"]),
    ("Who was the first woman to win a Nobel Prize?", ["Marie Curie", "Curie", "Marie Skłodowska-Curie"]),
    ("Who invented the World Wide Web?", ["Tim Berners-Lee", "Berners-Lee"]),
    ("Who invented dynamite?", ["Alfred Nobel", "Nobel"]),
    ("Which doctor developed the smallpox vaccine in 1796?", ["Edward Jenner", "Jenner"]),
    ("Which Russian chemist published a famous periodic table in 1869?", ["Dmitri Mendeleev", "Mendeleev", "Mendeleyev"]),
    ("Which astronomer's book of 1543 put the Sun, not the Earth, at the centre?", ["Nicolaus Copernicus", "Copernicus"]),
    ("Which physicist discovered X-rays in 1895?", ["Wilhelm Röntgen", "Wilhelm Roentgen", "Röntgen", "Roentgen"]),
    ("Who was the first human to travel into space?", ["Yuri Gagarin", "Gagarin"]),
    ("Who led the first expedition to reach the South Pole?", ["Roald Amundsen", "Amundsen"]),
    ("Who introduced printing with movable type to Europe?", ["Johannes Gutenberg", "Gutenberg"]),
    ("Which French scientist gave his name to pasteurisation?", ["Louis Pasteur", "Pasteur"]),
    ("Which astronomer discovered four moons of Jupiter in 1610?", ["Galileo", "Galileo Galilei"]),
    ("Who developed the polio vaccine licensed in 1955?", ["Jonas Salk", "Salk"]),
    ("Who climbed Mount Everest with Tenzing Norgay in 1953?", ["Edmund Hillary", "Hillary"]),
    ("Who was the first President of the United States?", ["George Washington", "Washington"]),
    ("Which composer wrote the Moonlight Sonata?", ["Ludwig van Beethoven", "Beethoven"]),
    ("Which composer wrote the opera The Magic Flute?", ["Wolfgang Amadeus Mozart", "Mozart"]),
    ("Which composer wrote The Four Seasons?", ["Antonio Vivaldi", "Vivaldi"]),
    ("Which composer wrote the Brandenburg Concertos?", ["Johann Sebastian Bach", "J. S. Bach", "Bach"]),
    ("Which composer wrote the ballet Swan Lake?", ["Pyotr Ilyich Tchaikovsky", "Tchaikovsky"]),
    ("Which composer wrote the ballet The Nutcracker?", ["Pyotr Ilyich Tchaikovsky", "Tchaikovsky"]),
    ("Which sculptor created The Thinker?", ["Auguste Rodin", "Rodin"]),
    ("Which artist painted the ceiling of the Sistine Chapel?", ["Michelangelo"]),
    ("Which artist painted the Water Lilies series?", ["Claude Monet", "Monet"]),
    ("Which artist made the woodblock print The Great Wave off Kanagawa?", ["Hokusai", "Katsushika Hokusai"]),
    # human body and science
    ("An adult human skeleton has how many bones?", ["206"]),
    ("What is the largest organ of the human body?", ["skin"]),
    ("Which is the longest bone in the human body?", ["femur", "thigh bone", "thighbone"]),
    ("The human heart has how many chambers?", ["4", "four"]),
    ("Which blood cells carry oxygen around the body?", ["red blood cells", "red cells", "erythrocytes"]),
    ("Which organs filter the blood to make urine?", ["kidneys", "kidney"]),
    ("A full set of adult human teeth has how many teeth?", ["32", "thirty-two", "thirty two"]),
    ("Which coloured part of the eye surrounds the pupil?", ["iris"]),
    ("Which natural mineral is the hardest?", ["diamond"]),
    ("Which force pulls objects towards the ground?", ["gravity"]),
    ("At how many degrees Fahrenheit does water freeze?", ["32"]),
    ("Give the chemical formula for table salt.", ["NaCl"]),
    ("Which gas makes up most of Earth's atmosphere?", ["nitrogen", "N2"]),
    ("What is the centre of an atom called?", ["nucleus"]),
    ("Which particle with a negative charge moves around the nucleus of an atom?", ["electron"]),
    ("Which gas do plants release during photosynthesis?", ["oxygen", "O2"]),
    ("Name the metal that is liquid at ordinary room temperature.", ["mercury"]),
    ("A right angle measures how many degrees?", ["90", "ninety"]),
    ("The angles inside a triangle add up to how many degrees?", ["180", "one hundred and eighty"]),
    # units and calendar
    ("A metre is made up of how many centimetres?", ["100", "one hundred", "a hundred"]),
    ("One kilogram equals how many grams?", ["1000", "one thousand", "a thousand"]),
    ("One kilometre equals how many metres?", ["1000", "one thousand", "a thousand"]),
    ("One litre equals how many millilitres?", ["1000", "one thousand", "a thousand"]),
    ("A century lasts how many years?", ["100", "one hundred", "a hundred"]),
    ("A decade lasts how many years?", ["10", "ten"]),
    # sport and games
    ("In football (soccer), how many players does each team have on the pitch?", ["11", "eleven"]),
    ("In basketball, how many players does each team have on the court?", ["5", "five"]),
    ("The Olympic flag shows how many rings?", ["5", "five"]),
    ("In which sport do players hit a shuttlecock over a net?", ["badminton"]),
    ("In which sport can a player score a hole in one?", ["golf"]),
    ("A chessboard has how many squares?", ["64", "sixty-four", "sixty four"]),
    ("Which chess piece moves only diagonally?", ["bishop"]),
]

# ---------------------------------------------------------------- word problems
# Deliberately disjoint from NAMES and THINGS in scripts/make_eval.py.
NAMES = ["Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Victor", "Wendy", "Yara", "Zane",
         "Aiko", "Bruno", "Carmen", "Diego", "Esther", "Felix", "Greta", "Hugo", "Ines"]
THINGS = ["oranges", "crayons", "buttons", "beads", "coins", "muffins", "tickets", "toy cars", "seeds",
          "eggs", "candles", "pebbles", "postcards", "ribbons", "cupcakes", "tomatoes"]


def word_problem(rng: random.Random) -> tuple[str, str, int]:
    """One (question, worked solution, answer); every result is a whole number under 200."""
    name, other = rng.sample(NAMES, 2)
    t = rng.choice(THINGS)
    kind = rng.randrange(12)
    if kind == 0:
        a, b = rng.randint(3, 40), rng.randint(3, 40)
        return (f"{name} collected {a} {t} in the morning and {b} in the afternoon. "
                f"How many {t} did {name} collect altogether?", f"{a} + {b} = {a + b}", a + b)
    if kind == 1:
        a, b = rng.randint(5, 60), rng.randint(5, 60)
        return (f"There are {a} {t} on the top shelf and {b} {t} on the bottom shelf. "
                f"What is the total number of {t} on the two shelves?", f"{a} + {b} = {a + b}", a + b)
    if kind == 2:
        a = rng.randint(15, 90)
        b = rng.randint(2, a - 3)
        return (f"A basket held {a} {t}. {name} took {b} of them out. How many {t} remain in the basket?",
                f"{a} - {b} = {a - b}", a - b)
    if kind == 3:
        a = rng.randint(20, 100)
        b = rng.randint(5, a - 2)
        return (f"{name} wants {a} {t} for a school project and already owns {b}. "
                f"How many more {t} does {name} still need?", f"{a} - {b} = {a - b}", a - b)
    if kind == 4:
        a, b = rng.randint(2, 12), rng.randint(2, 12)
        return (f"A crate holds {b} {t}. How many {t} are there in {a} full crates?", f"{a} * {b} = {a * b}", a * b)
    if kind == 5:
        a, b = rng.randint(3, 15), rng.randint(2, 10)
        return (f"{name} earns {a} dollars for every hour of work. How many dollars does {name} earn in {b} hours?",
                f"{a} * {b} = {a * b}", a * b)
    if kind == 6:
        b, q = rng.randint(2, 10), rng.randint(2, 15)
        return (f"{b * q} {t} are packed into boxes that hold {b} each. How many boxes are filled?",
                f"{b * q} / {b} = {q}", q)
    if kind == 7:
        b, q = rng.randint(2, 8), rng.randint(2, 12)
        return (f"A rope {b * q} metres long is cut into {b} pieces of equal length. How many metres long is each piece?",
                f"{b * q} / {b} = {q}", q)
    if kind == 8:
        a, b = rng.randint(2, 9), rng.randint(3, 12)
        c = rng.randint(1, a * b - 1)
        return (f"{name} bought {a} packets of {t} with {b} in each packet and then used {c} of them. "
                f"How many {t} are left?", f"{a} * {b} = {a * b}; {a * b} - {c} = {a * b - c}", a * b - c)
    if kind == 9:
        a, b = rng.randint(2, 20), rng.randint(2, 5)
        return (f"{name} owns {a} {t}, and {other} owns {b} times as many. How many {t} do the two of them own together?",
                f"{a} * {b} = {a * b}; {a} + {a * b} = {a + a * b}", a + a * b)
    if kind == 10:
        b, q, c = rng.randint(2, 6), rng.randint(2, 10), rng.randint(1, 9)
        return (f"{b * q} {t} are divided equally among {b} children, and then every child is given {c} more. "
                f"How many {t} does each child have now?", f"{b * q} / {b} = {q}; {q} + {c} = {q + c}", q + c)
    a = rng.randint(30, 120)
    b = rng.randint(2, a // 2)
    c = rng.randint(1, a - b - 1)
    return (f"A bus left the station with {a} passengers. {b} got off at the first stop and {c} got off at the second. "
            f"How many passengers are still on the bus?", f"{a} - {b} = {a - b}; {a - b} - {c} = {a - b - c}", a - b - c)


# ---------------------------------------------------------------- screening


def normalise(text: str) -> str:
    """Lower-cased, whitespace-collapsed text: the key for exact-repeat checks."""
    return " ".join(text.lower().split())


def read_jsonl(path: Path) -> list[dict]:
    """The records of a JSONL file (blank lines skipped)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Screen:
    """Accepts a question only if it is new: not an eval question or a near duplicate of one,
    not a prompt in data/prompts.jsonl, and not a question accepted before."""

    def __init__(self, root: Path) -> None:
        self.index = NearDuplicateIndex(0.7)
        self.seen: set[str] = set()
        for path in sorted((root / "data/eval").glob("*.jsonl")):
            for record in read_jsonl(path):
                self.index.add(record["question"])
                self.seen.add(normalise(record["question"]))
        self.seen.update(normalise(r["prompt"]) for r in read_jsonl(root / "data/prompts.jsonl"))
        self.rejected: list[str] = []

    def accept(self, question: str) -> bool:
        """Whether ``question`` passes; a passing question is remembered so it cannot repeat."""
        key = normalise(question)
        if key in self.seen or self.index.is_duplicate(question)[0]:
            self.rejected.append(question)
            return False
        self.seen.add(key)
        return True


# ---------------------------------------------------------------- the three files


def fact_candidates(rng: random.Random) -> list[tuple[str, list[str]]]:
    """Every factual (question, aliases) from the tables, each in a wording picked at random."""
    def pick(*templates: str) -> str:
        return rng.choice(templates)

    out = list(WRITTEN)
    for country, cap in CAPITALS:
        out.append((pick(f"Name the capital city of {country}.", f"Which city is the capital of {country}?",
                         f"What city serves as the capital of {country}?"), cap))
    for state, cap in US_STATE_CAPITALS:
        out.append((f"Which city is the capital of the US state of {state}?", [cap]))
    for element, symbol in ELEMENTS:
        out.append((pick(f"Which chemical symbol stands for {element}?", f"Give the chemical symbol of {element}.",
                         f"What symbol represents {element} on the periodic table?"), [symbol]))
    names = {symbol: element for element, symbol in ELEMENTS}
    for symbol in REVERSE_SYMBOLS:
        out.append((f"Which element has the chemical symbol {symbol}?", [names[symbol]]))
    for title, authors in BOOKS:
        out.append((pick(f"Who is the author of {title}?", f"Which writer wrote {title}?",
                         f"Name the author of {title}."), authors))
    for work, artists in ARTWORKS:
        out.append((pick(f"Which artist painted {work}?", f"Name the painter of {work}."), artists))
    for country, languages in LANGUAGES:
        out.append((pick(f"Which language do most people in {country} speak?",
                         f"Which language is spoken by most people in {country}?"), languages))
    for country, currencies in CURRENCIES:
        out.append((pick(f"Which currency is used in {country}?", f"Name the currency of {country}."), currencies))
    for continent, countries in CONTINENTS.items():
        for country in countries:
            out.append((pick(f"On which continent is {country}?", f"Which continent is {country} part of?"), [continent]))
    for planet, ordinal in zip(PLANETS, ORDINALS):
        out.append((f"Counting outward from the Sun, which planet comes {ordinal}?", [planet]))
    return out


def make_facts(rng: random.Random, screen: Screen, n: int) -> list[dict]:
    """``n`` screened factual questions drawn from the tables, in shuffled order."""
    candidates = fact_candidates(rng)
    rng.shuffle(candidates)
    rows = []
    for question, answers in candidates:
        if len(rows) == n:
            break
        if screen.accept(question):
            rows.append({"question": question, "answers": answers})
    return rows


def make_arithmetic(rng: random.Random, screen: Screen, n: int) -> list[dict]:
    """``n`` screened word problems with worked solutions."""
    rows = []
    while len(rows) < n:
        question, work, answer = word_problem(rng)
        if screen.accept(question):
            rows.append({"question": question, "answer": f"{work}\n#### {answer}"})
    return rows


def is_prime(n: int) -> bool:
    """Whether ``n`` is a prime number."""
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


def yesno_candidates(rng: random.Random) -> list[tuple[str, bool]]:
    """Yes/no (question, answer) pairs: one true and one false statement per fact or number."""
    out: list[tuple[str, bool]] = []
    capitals = {country: cap[0] for country, cap in CAPITALS}
    for country in rng.sample(sorted(capitals), 45):
        wrong = capitals[rng.choice([c for c in capitals if c != country])]
        out += [(f"Is {capitals[country]} the capital city of {country}?", True),
                (f"Is {wrong} the capital city of {country}?", False)]
    located = [(country, continent) for continent, countries in CONTINENTS.items() for country in countries]
    for country, continent in rng.sample(located, 30):
        wrong = rng.choice([c for c in CONTINENTS if c != continent])
        out += [(f"Is {country} located in {continent}?", True), (f"Is {country} located in {wrong}?", False)]
    for element, symbol in rng.sample(ELEMENTS, 20):
        wrong = rng.choice([s for _, s in ELEMENTS if s != symbol])
        out += [(f"Is {symbol} the chemical symbol for {element}?", True),
                (f"Is {wrong} the chemical symbol for {element}?", False)]
    for title, authors in rng.sample(BOOKS, 20):
        wrong = rng.choice([a[0] for _, a in BOOKS if a[0] != authors[0]])
        out += [(f"Did {authors[0]} write {title}?", True), (f"Did {wrong} write {title}?", False)]
    for _ in range(16):
        i, j = rng.sample(range(len(PLANETS)), 2)
        out.append((f"Is {PLANETS[i]} closer to the Sun than {PLANETS[j]}?", i < j))
    # Numbers: alternate the wanted answer so each kind is balanced.
    for k in range(12):
        want = k % 2 == 0
        n = rng.randint(5, 99) * 2 + (0 if want else 1)
        out.append((f"Is the number {n} even?", want))
        d = rng.randint(3, 9)
        m = d * rng.randint(3, 20) + (0 if want else rng.randint(1, d - 1))
        out.append((f"Can {m} be divided evenly by {d}?", want))
        odd = rng.choice([x for x in range(11, 120, 2) if is_prime(x) == want])
        out.append((f"Is {odd} a prime number?", want))
        a, b = rng.sample(range(10, 200), 2)
        out.append((f"Is {max(a, b) if want else min(a, b)} larger than {min(a, b) if want else max(a, b)}?", want))
        a, b = rng.randint(3, 60), rng.randint(3, 60)
        s = a + b if want else a + b + rng.choice([-3, -2, -1, 1, 2, 3])
        out.append((f"Does {a} plus {b} make {s}?", want))
        a, b = rng.randint(2, 12), rng.randint(2, 12)
        product = a * b if want else a * b + rng.choice([-2, -1, 1, 2])
        out.append((f"Is {a} times {b} equal to {product}?", want))
    return out


def make_yesno(rng: random.Random, screen: Screen) -> list[dict]:
    """All screened yes/no questions, in shuffled order."""
    candidates = yesno_candidates(rng)
    rng.shuffle(candidates)
    return [{"question": q, "answer": a} for q, a in candidates if screen.accept(q)]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    """One ``json.dumps(row)`` per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")


def main(argv: list[str] | None = None) -> None:
    """Write facts.jsonl, arithmetic.jsonl and yesno.jsonl into --out-dir."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=ROOT / "data/train")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--n-facts", type=int, default=300)
    parser.add_argument("--n-arithmetic", type=int, default=400)
    args = parser.parse_args(argv)
    screen = Screen(ROOT)
    # One generator per file, so one file's random draws do not depend on how many the others made.
    files = {
        "facts.jsonl": make_facts(random.Random(f"{args.seed}:facts"), screen, args.n_facts),
        "arithmetic.jsonl": make_arithmetic(random.Random(f"{args.seed}:arithmetic"), screen, args.n_arithmetic),
        "yesno.jsonl": make_yesno(random.Random(f"{args.seed}:yesno"), screen),
    }
    for name, rows in files.items():
        write_jsonl(args.out_dir / name, rows)
        print(f"wrote {len(rows)} questions to {args.out_dir / name}")
    if screen.rejected:
        print(f"skipped {len(screen.rejected)} candidates that repeat or nearly repeat another question")


if __name__ == "__main__":
    main()
