"""Write the default replay data: data/replay.jsonl and data/replay_heldout.jsonl.

Replay data is original instruction data mixed into every round of training so the student
does not forget how to follow ordinary instructions. It is written for this project: the
instructions below were written by hand (how-to, rewriting, lists, short explanations,
small code and reasoning tasks), and computable pairs (arithmetic, unit conversion, string
operations) are generated with their answers computed here. Answers are short so training
on them stays cheap. Factual quiz questions and word problems are deliberately absent: the
gold evaluation sets under data/eval/ ask those, and replay must not leak into them.

Deterministic: running it again writes the same files.  Usage: python scripts/make_replay.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (instruction, answer) written for this project.
WRITTEN: list[tuple[str, str]] = [
    # how-to
    ("How do I boil an egg so the yolk stays soft?", "Lower the egg into boiling water, cook it for six to seven minutes, then cool it in cold water for a minute before peeling."),
    ("How can I keep cut apples from turning brown?", "Toss the slices with a little lemon juice or soak them briefly in salted water, then keep them covered in the fridge."),
    ("Give me three tips for a productive morning.", "1. Get up at the same time every day.\n2. Do your hardest task first.\n3. Keep your phone away until you have started working."),
    ("How do I remove a sticker residue from glass?", "Rub a little cooking oil or rubbing alcohol into the residue, wait a few minutes, then wipe it off with a cloth."),
    ("What is a simple way to start saving money?", "Move a fixed small amount into a separate account on payday, before you spend anything else."),
    ("How should I water a cactus?", "Water it thoroughly only when the soil is completely dry, and make sure the pot drains so the roots never sit in water."),
    ("How do I make a cup of tea with loose leaves?", "Put a teaspoon of leaves in an infuser, pour freshly boiled water over it, steep for three to five minutes, then remove the leaves."),
    ("Give two ways to fall asleep faster.", "Keep the bedroom cool and dark, and stop using screens for half an hour before bed."),
    ("How do I back up my photos safely?", "Keep at least two copies in different places, for example one on an external drive and one in a cloud service."),
    ("How can I memorise a short speech?", "Learn it in small sections, say each section out loud several times, and then practise the whole speech from the start."),
    ("How do I clean a cast iron pan?", "Rinse it with hot water and scrub with a brush, dry it immediately, then rub in a thin layer of oil."),
    ("What should I pack for a day hike?", "Water, a snack, a map, sunscreen, a light jacket and a charged phone."),
    ("How do I write a good subject line for an email?", "Keep it short and specific, and say what the email is about or what you need, for example \"Report due Friday: please review\"."),
    ("How can I reduce food waste at home?", "Plan meals before shopping, store leftovers in clear containers, and use older food first."),
    ("How do I tie a simple square knot?", "Cross the right end over the left and tuck it under, then cross the left end over the right and tuck it under, and pull both ends tight."),
    ("Give me a tip for learning a new language.", "Practise a little every day, ideally by speaking with someone, rather than studying for hours once a week."),
    ("How do I stop my glasses from fogging up when I wear a mask?", "Pinch the top of the mask tightly around your nose so your breath goes down instead of up into the lenses."),
    ("How do I unclog a slow bathroom sink?", "Remove and clean the stopper, then pour in half a cup of baking soda followed by a cup of vinegar and flush with hot water after fifteen minutes."),
    ("How can I make my phone battery last longer during the day?", "Lower the screen brightness, turn off location and background refresh for apps that do not need them, and close apps you are not using."),
    ("How do I prepare for a job interview?", "Research the company, practise answers to common questions out loud, and prepare two or three questions to ask the interviewer."),
    ("How do I keep herbs fresh in the fridge?", "Wrap them loosely in a damp paper towel and store them in a bag or container in the fridge."),
    ("What is a good way to start running as a beginner?", "Alternate one minute of running with two minutes of walking for twenty minutes, three times a week, and slowly run for longer."),
    ("How do I make rice that is not sticky?", "Rinse the rice until the water runs clear, cook it with the right amount of water, and let it rest covered for five minutes before fluffing."),
    ("How should I store batteries?", "Keep them in a cool, dry place in their packaging, and do not let the ends of loose batteries touch metal or each other."),
    ("How can I be more focused while studying?", "Study in short blocks of about 25 minutes with a short break after each, and keep your phone in another room."),
    ("How do I write a thank-you note?", "Name the gift or favour, say specifically why it mattered to you, and end with a warm closing."),
    ("How do I fix a squeaky door hinge?", "Put a few drops of oil or a little petroleum jelly on the hinge pin and swing the door back and forth to spread it."),
    ("How do I choose a ripe avocado?", "Press it gently: a ripe avocado yields slightly but is not mushy."),
    ("How should I start a short presentation?", "Open with one sentence that tells the audience what problem you will talk about and why it matters to them."),
    ("How do I make a to-do list I will actually use?", "Write only the tasks for today, put the most important one first, and keep the list short enough to finish."),
    # rewriting and editing
    ("Rewrite in the passive voice: The committee approved the plan.", "The plan was approved by the committee."),
    ("Rewrite in the passive voice: Maria painted the fence.", "The fence was painted by Maria."),
    ("Rewrite in the active voice: The letter was written by Tom.", "Tom wrote the letter."),
    ("Rewrite in the active voice: The cake was eaten by the children.", "The children ate the cake."),
    ("Make this sentence more formal: Hey, can you send me the file?", "Could you please send me the file?"),
    ("Make this sentence more formal: We gotta finish this by tomorrow.", "We need to finish this by tomorrow."),
    ("Make this sentence more casual: I would be grateful if you could attend the meeting.", "It'd be great if you could come to the meeting."),
    ("Fix the grammar: She don't like apples.", "She doesn't like apples."),
    ("Fix the grammar: Me and him went to the store.", "He and I went to the store."),
    ("Fix the grammar: There is many reasons to stay.", "There are many reasons to stay."),
    ("Fix the spelling: I recieved the pakage yesterday.", "I received the package yesterday."),
    ("Fix the spelling: The resturant was definately full.", "The restaurant was definitely full."),
    ("Shorten this sentence: In spite of the fact that it was raining, we decided to go for a walk.", "Although it was raining, we went for a walk."),
    ("Shorten this sentence: At this point in time we are not able to offer a refund.", "We cannot offer a refund now."),
    ("Rewrite this sentence so a child can understand it: The weather conditions are unfavourable for outdoor activities.", "The weather is too bad to play outside."),
    ("Rewrite politely: Give me the report now.", "Could you please send me the report when you have a moment?"),
    ("Turn this into a question: The train leaves at six.", "Does the train leave at six?"),
    ("Turn this into a question: She has finished her homework.", "Has she finished her homework?"),
    ("Put this sentence in the past tense: I walk to work every day.", "I walked to work every day."),
    ("Put this sentence in the future tense: We visit our grandparents.", "We will visit our grandparents."),
    ("Combine into one sentence: The dog barked. The mailman ran away.", "The dog barked, and the mailman ran away."),
    ("Combine into one sentence: It was late. We kept working.", "Although it was late, we kept working."),
    ("Rewrite without jargon: We need to leverage our synergies going forward.", "We should work together better from now on."),
    ("Rewrite as a headline: The city council has decided to build a new library next year.", "City Council Approves New Library for Next Year"),
    ("Rewrite in the first person: He opened the window and looked outside.", "I opened the window and looked outside."),
    ("Replace the word 'big' with a stronger word: It was a big mistake.", "It was a huge mistake."),
    ("Remove the repetition: The meeting was a long meeting that lasted a long time.", "The meeting lasted a long time."),
    ("Make this sentence positive: I don't think the plan will fail.", "I think the plan will succeed."),
    ("Rewrite in plain English: Kindly revert at your earliest convenience.", "Please reply as soon as you can."),
    ("Paraphrase: The early bird catches the worm.", "People who start early get the best chances."),
    # summarising and extracting
    ("Summarise in one sentence: The bakery on Elm Street opened in 1990. It is known for its rye bread. On weekends there is often a queue outside.", "The Elm Street bakery, open since 1990, is popular for its rye bread and often has weekend queues."),
    ("Summarise in one sentence: Our team missed the deadline because two people were ill and the client changed the requirements twice.", "The team missed the deadline because of illness and changing client requirements."),
    ("Extract the date from this sentence: The concert will take place on 14 March at the town hall.", "14 March"),
    ("Extract the names from this sentence: Anna and Pedro met Lisa at the station.", "Anna, Pedro, Lisa"),
    ("Extract the email address: Contact us at help@example.org for support.", "help@example.org"),
    ("Find the verb in this sentence: The cat sleeps on the sofa.", "sleeps"),
    ("Find the adjectives in this sentence: The tall man wore a red hat.", "tall, red"),
    ("What is the main idea of this sentence: Regular exercise improves both mood and sleep.", "Exercise regularly makes you feel better and sleep better."),
    ("List the ingredients mentioned: Mix flour, sugar and butter, then add two eggs.", "Flour, sugar, butter, eggs."),
    ("Pick out the numbers in this text: We bought 3 apples, 12 eggs and 2 loaves.", "3, 12, 2"),
    # classification
    ("Classify the sentiment as positive, negative or neutral: I loved every minute of the film.", "Positive."),
    ("Classify the sentiment as positive, negative or neutral: The package arrived broken and late.", "Negative."),
    ("Classify the sentiment as positive, negative or neutral: The meeting is at three o'clock.", "Neutral."),
    ("Classify the sentiment as positive, negative or neutral: The food was cold and the waiter was rude.", "Negative."),
    ("Classify the sentiment as positive, negative or neutral: What a wonderful surprise!", "Positive."),
    ("Is this sentence a question, a command or a statement: Close the door.", "A command."),
    ("Is this sentence a question, a command or a statement: Where did you park?", "A question."),
    ("Is this sentence a question, a command or a statement: The shop opens at nine.", "A statement."),
    ("Sort these into fruits and vegetables: apple, carrot, banana, spinach.", "Fruits: apple, banana. Vegetables: carrot, spinach."),
    ("Which word does not belong: red, blue, chair, green?", "Chair, because the others are colours."),
    ("Which word does not belong: dog, cat, hammer, horse?", "Hammer, because the others are animals."),
    ("Which word does not belong: piano, guitar, violin, carrot?", "Carrot, because the others are musical instruments."),
    ("Label each word as a noun or a verb: run, table, sing, book.", "run: verb, table: noun, sing: verb, book: noun."),
    ("Classify this email as spam or not spam: Congratulations! You won a free cruise, click here now!", "Spam."),
    ("Classify this email as spam or not spam: Hi Sam, the minutes from Tuesday's meeting are attached.", "Not spam."),
    # lists
    ("List three things to check before a long car trip.", "1. Tyre pressure.\n2. Oil and coolant levels.\n3. Lights and wipers."),
    ("Name three ways to say thank you in a message.", "Thanks a lot; I really appreciate it; I'm grateful for your help."),
    ("List four kitchen tools every beginner cook needs.", "A sharp knife, a cutting board, a frying pan and a saucepan."),
    ("Give three ideas for a rainy-day activity.", "Bake cookies, build a blanket fort, or have a board game afternoon."),
    ("List three habits that help reduce stress.", "Regular exercise, enough sleep, and a few minutes of quiet breathing each day."),
    ("Suggest three names for a small coffee shop.", "The Daily Grind, Bean There, and Corner Cup."),
    ("List three questions to ask when renting a flat.", "1. What is included in the rent?\n2. How long is the contract?\n3. Who handles repairs?"),
    ("Give three examples of renewable energy sources.", "Solar, wind and hydroelectric power."),
    ("List three things that make a good password.", "It is long, it mixes letters, numbers and symbols, and it is not used for any other account."),
    ("Give three tips for writing clearly.", "Use short sentences, prefer common words, and put the main point first."),
    ("Suggest three healthy snacks.", "An apple with peanut butter, a handful of nuts, or carrot sticks with hummus."),
    ("List three ways to be a good listener.", "Look at the speaker, do not interrupt, and ask follow-up questions."),
    ("Give three ideas for a birthday gift for a friend who likes cooking.", "A good chef's knife, a cookbook from a cuisine they love, or a set of spices."),
    ("Name three board games for a family evening.", "Ticket to Ride, Carcassonne and Dixit."),
    ("List the steps to make a paper airplane in short form.", "Fold the paper in half lengthwise, fold the top corners to the middle, fold the new edges to the middle again, then fold the wings down."),
    # short explanations of everyday concepts
    ("Explain what a budget is in one sentence.", "A budget is a plan for how you will spend and save the money you expect to receive."),
    ("Explain what a password manager does.", "A password manager stores your passwords in an encrypted vault and fills them in for you, so each account can have a strong, unique password."),
    ("Explain the difference between weather and climate in one sentence.", "Weather is the conditions on a particular day, while climate is the typical pattern of weather over many years."),
    ("Explain what a metaphor is, with an example.", "A metaphor describes something as if it were something else, for example \"time is a thief\"."),
    ("Explain what an interest rate is in simple words.", "An interest rate is the price of borrowing money, written as a percentage of the amount borrowed per year."),
    ("What does it mean to proofread a text?", "To proofread a text is to read it carefully to find and correct mistakes in spelling, grammar and punctuation."),
    ("Explain what a spreadsheet is used for.", "A spreadsheet organises data in rows and columns so you can sort it and calculate totals, averages and other results."),
    ("What is the difference between a simile and a metaphor?", "A simile compares using \"like\" or \"as\", for example \"fast as lightning\"; a metaphor says one thing is another."),
    ("Explain what compound interest means.", "Compound interest means you earn interest on your original money and also on the interest it has already earned."),
    ("What is a thesis statement?", "A thesis statement is one or two sentences that state the main argument of an essay."),
    ("Explain what a variable is in programming.", "A variable is a name that holds a value, so the program can store it and use or change it later."),
    ("What does a function do in programming?", "A function is a named block of code that takes inputs, does a task and can return a result, so you can reuse it."),
    ("Explain what a loop is in programming.", "A loop repeats a block of code, either a set number of times or while a condition stays true."),
    ("What is the purpose of a cover letter?", "A cover letter introduces you to an employer and explains why you fit the job, adding context to your CV."),
    ("Explain what an agenda is for a meeting.", "An agenda is a list of the topics a meeting will cover, in order, so everyone can prepare."),
    ("What does 'ephemeral' mean?", "Ephemeral means lasting for a very short time."),
    ("What does 'meticulous' mean?", "Meticulous means very careful and precise about details."),
    ("What does 'ambiguous' mean?", "Ambiguous means open to more than one interpretation."),
    ("What does 'resilient' mean?", "Resilient means able to recover quickly from difficulties."),
    ("What does 'frugal' mean?", "Frugal means careful not to spend more money than necessary."),
    ("Give a synonym for 'happy'.", "Joyful."),
    ("Give a synonym for 'difficult'.", "Challenging."),
    ("Give an antonym for 'ancient'.", "Modern."),
    ("Give an antonym for 'generous'.", "Stingy."),
    ("Use the word 'reluctant' in a sentence.", "She was reluctant to leave the party early."),
    ("Use the word 'curious' in a sentence.", "The curious child asked how the clock worked."),
    # writing
    ("Write a haiku about autumn leaves.", "Red leaves drift and fall\nwhispering on the cold path\nsummer says goodbye"),
    ("Write a one-sentence story about a lost key.", "After searching the whole house, Mia found her lost key in the pocket of the coat she was wearing."),
    ("Write a short slogan for a bicycle shop.", "Ride further, smile wider."),
    ("Write a two-line poem about the sea.", "The sea rolls in with silver light,\nand hums the shore to sleep at night."),
    ("Write a friendly reminder that rent is due on Friday.", "Hi! Just a friendly reminder that rent is due this Friday. Thanks!"),
    ("Write an out-of-office reply in one sentence.", "I am out of the office until Monday and will reply to your message when I return."),
    ("Write a one-sentence product description for a reusable water bottle.", "This leak-proof steel bottle keeps drinks cold for a day and fits in any bag."),
    ("Write a short apology for missing a meeting.", "I'm sorry I missed today's meeting; could you share the notes, and can we find a time to catch up?"),
    ("Write a tweet announcing a bake sale on Saturday.", "Bake sale this Saturday from 10am at the community hall! Cakes, cookies and good company. All proceeds go to the school library."),
    ("Write a short invitation to a picnic.", "Join us for a picnic in the park on Sunday at noon. Bring a blanket and your favourite snack!"),
    ("Write a limerick about a cat.", "A cat with a taste for the cream\nwould plot and would purr and would scheme;\nshe'd leap on the shelf,\nhelp herself to herself,\nthen nap in a warm sunny beam."),
    ("Write an opening line for a mystery story.", "The lights went out at exactly midnight, and when they came back on, the painting was gone."),
    ("Write a motivational sentence for someone starting a new job.", "Every expert was once a beginner, so be curious, ask questions and trust yourself to grow."),
    ("Write a short caption for a photo of a sunset over mountains.", "The mountains say goodnight in gold."),
    ("Write a one-sentence review of a cosy café.", "A warm, quiet café with excellent coffee and cakes that are worth the walk."),
    ("Write a riddle whose answer is a shadow.", "I follow you all day but vanish in the dark. What am I? A shadow."),
    ("Write a polite message declining an invitation.", "Thank you so much for the invitation; unfortunately I can't make it, but I hope you have a wonderful time."),
    ("Write a title for a blog post about saving energy at home.", "Ten Easy Ways to Cut Your Energy Bill at Home"),
    # code and formats
    ("Write a Python expression that returns the length of the list xs.", "len(xs)"),
    ("Write a Python function that returns the square of a number.", "def square(x):\n    return x * x"),
    ("Write a Python line that prints the numbers 1 to 5.", "for i in range(1, 6): print(i)"),
    ("Write a Python expression that reverses the string s.", "s[::-1]"),
    ("Write a Python expression that checks whether n is even.", "n % 2 == 0"),
    ("Write a Python list comprehension for the squares of 0 to 9.", "[i * i for i in range(10)]"),
    ("Write a SQL query that selects all rows from a table called users.", "SELECT * FROM users;"),
    ("Write a SQL query that counts the rows in a table called orders.", "SELECT COUNT(*) FROM orders;"),
    ("What does the Python code print: print(3 * 'ab')", "ababab"),
    ("What does the Python code print: print(len('hello'))", "5"),
    ("Convert this to JSON: name Alice, age 30.", "{\"name\": \"Alice\", \"age\": 30}"),
    ("Format this as a bulleted list: milk, bread, eggs.", "- milk\n- bread\n- eggs"),
    ("Write the date 5 July 2021 in ISO format.", "2021-07-05"),
    ("Write a regular expression that matches a five-digit number.", "^\\d{5}$"),
    ("What shell command lists the files in the current folder?", "ls"),
    ("What shell command shows the current folder?", "pwd"),
    ("Write a Markdown link to example.com with the text Example.", "[Example](https://example.com)"),
    ("Write an HTML heading that says Welcome.", "<h1>Welcome</h1>"),
    # short reasoning
    ("If today is Monday, what day is it in three days?", "Thursday."),
    ("If today is Friday, what day was it two days ago?", "Wednesday."),
    ("What comes next in the sequence 2, 4, 6, 8?", "10, because each number is 2 more than the one before."),
    ("What comes next in the sequence 1, 3, 9, 27?", "81, because each number is three times the one before."),
    ("What comes next in the sequence A, C, E, G?", "I, because the sequence skips one letter each time."),
    ("Put these in order from smallest to largest: elephant, mouse, dog.", "Mouse, dog, elephant."),
    ("Put these in order from first to last: dinner, breakfast, lunch.", "Breakfast, lunch, dinner."),
    ("Anna is taller than Ben, and Ben is taller than Carl. Who is the shortest?", "Carl."),
    ("A box has 3 red balls and 1 blue ball. Which colour are you more likely to pick at random?", "Red, because there are three red balls and only one blue."),
    ("If it takes 10 minutes to walk to the shop, how long is the round trip?", "20 minutes."),
    ("Which is heavier, a kilogram of feathers or a kilogram of iron?", "Neither: they both weigh one kilogram."),
    ("I have two coins that add up to 15 cents and one of them is not a nickel. What are they?", "A dime and a nickel: the one that is not a nickel is the dime."),
    ("Which month comes after April?", "May."),
    ("What is the opposite direction of north-east?", "South-west."),
    ("How many minutes are there in two and a half hours?", "150 minutes."),
    # translation of everyday phrases
    ("Translate to French: Good morning.", "Bonjour."),
    ("Translate to French: Thank you very much.", "Merci beaucoup."),
    ("Translate to Spanish: Where is the station?", "¿Dónde está la estación?"),
    ("Translate to Spanish: I am hungry.", "Tengo hambre."),
    ("Translate to German: Good night.", "Gute Nacht."),
    ("Translate to Italian: See you tomorrow.", "A domani."),
    ("Translate to English: Je suis fatigué.", "I am tired."),
    ("Translate to English: ¿Cómo estás?", "How are you?"),
    # advice and conversation
    ("My friend is sad because her exam went badly. What could I say?", "You could say: \"I'm sorry it went badly. One exam doesn't define you, and I'm here if you want to talk or study together for the next one.\""),
    ("Suggest a polite way to end a phone call.", "\"It was lovely talking to you; I have to go now, but let's speak again soon.\""),
    ("How can I say no to extra work politely?", "Say that you would like to help but your current tasks need your full attention, and suggest when you might have time."),
    ("What is a good question to start a conversation at a party?", "\"How do you know the host?\" is an easy, friendly way to start."),
    ("Give me a short pep talk before a race.", "You have trained for this. Start steady, trust your legs, and finish strong!"),
    ("Respond to a customer who says their order is late.", "I'm sorry your order is late. I'll check its status right away and update you within the hour."),
    ("Suggest a name for a grey kitten.", "Smokey."),
    ("Recommend a way to relax after a long day.", "Take a warm shower, make a cup of herbal tea and read a few pages of a book."),
]

# Held-out: same style, prompts never used for training (measures forgetting).
WRITTEN_HELDOUT: list[tuple[str, str]] = [
    ("How do I stop a cutting board from slipping?", "Put a damp cloth or a piece of non-slip mat under it."),
    ("Give two tips for keeping a plant alive indoors.", "Place it where it gets the right amount of light for its kind, and only water it when the top of the soil is dry."),
    ("How do I iron a shirt quickly?", "Start with the collar, then the cuffs and sleeves, and finish with the front and back panels."),
    ("How can I remember people's names better?", "Repeat the name when you are introduced and use it once more during the conversation."),
    ("Rewrite in the passive voice: The chef cooked the soup.", "The soup was cooked by the chef."),
    ("Make this sentence more formal: Thanks a bunch for the help.", "Thank you very much for your help."),
    ("Fix the grammar: They was late for the bus.", "They were late for the bus."),
    ("Shorten this sentence: Due to the fact that the shop was closed, we went home.", "Because the shop was closed, we went home."),
    ("Put this sentence in the past tense: She writes a letter.", "She wrote a letter."),
    ("Summarise in one sentence: The park reopened on Monday after repairs. New benches and a playground were added.", "The park reopened on Monday with new benches and a playground."),
    ("Extract the time from this sentence: The bus leaves at 7:45 from platform two.", "7:45"),
    ("Classify the sentiment as positive, negative or neutral: The hotel room was spotless and the staff were lovely.", "Positive."),
    ("Which word does not belong: spoon, fork, knife, pillow?", "Pillow, because the others are cutlery."),
    ("List three things to bring to a picnic.", "A blanket, sandwiches and something to drink."),
    ("Give three tips for a tidy desk.", "Keep only what you use daily on it, file papers at the end of each day, and give every item a fixed place."),
    ("Explain what a receipt is for.", "A receipt is proof that you paid for something, useful for returns and keeping track of spending."),
    ("What does 'candid' mean?", "Candid means honest and direct."),
    ("Give a synonym for 'quick'.", "Fast."),
    ("Write a haiku about snow.", "Soft snow on the roofs\nthe busy town goes quiet\nfootprints lead back home"),
    ("Write a short thank-you message to a colleague.", "Thanks so much for your help on the project this week; it made a real difference."),
    ("Write a Python expression that returns the largest number in the list xs.", "max(xs)"),
    ("What shell command makes a new folder called notes?", "mkdir notes"),
    ("If today is Tuesday, what day is it in four days?", "Saturday."),
    ("What comes next in the sequence 5, 10, 15, 20?", "25, because each number is 5 more than the one before."),
    ("Translate to French: See you soon.", "À bientôt."),
    ("Suggest a polite way to ask someone to repeat themselves.", "\"Sorry, I didn't quite catch that. Could you say it again?\""),
]

WORDS = [
    "garden", "window", "planet", "silver", "rocket", "pencil", "orange", "bridge", "candle", "forest",
    "market", "yellow", "butter", "castle", "dragon", "winter", "summer", "ladder", "mirror", "basket",
    "jacket", "pocket", "button", "rabbit", "spider", "violet", "anchor", "harbor", "lantern", "meadow",
]


def generated(rng: random.Random) -> list[tuple[str, str]]:
    """Computable instructions with computed answers, in a terse imperative style."""
    out: list[tuple[str, str]] = []
    for _ in range(30):
        a, b = rng.randint(11, 99), rng.randint(11, 99)
        out.append((f"Compute {a}*{b}.", f"{a} * {b} = {a * b}."))
    for _ in range(20):
        a, b = rng.randint(100, 999), rng.randint(100, 999)
        out.append((f"Compute {a}+{b}.", f"{a} + {b} = {a + b}."))
    for _ in range(15):
        a, b = rng.randint(100, 999), rng.randint(10, 99)
        out.append((f"Compute {a}-{b}.", f"{a} - {b} = {a - b}."))
    for _ in range(15):
        b, q = rng.randint(2, 12), rng.randint(3, 40)
        out.append((f"Compute {b * q}/{b}.", f"{b * q} / {b} = {q}."))
    units = [("kilometres", "metres", 1000), ("metres", "centimetres", 100), ("kilograms", "grams", 1000),
             ("hours", "minutes", 60), ("minutes", "seconds", 60), ("litres", "millilitres", 1000), ("days", "hours", 24)]
    for _ in range(20):
        src, dst, f = rng.choice(units)
        n = rng.randint(2, 30)
        out.append((f"Convert {n} {src} to {dst}.", f"{n} {src} is {n * f} {dst}."))
    for w in rng.sample(WORDS, 10):
        out.append((f"Reverse the letters of the word '{w}'.", f"'{w}' reversed is '{w[::-1]}'."))
    for w in rng.sample(WORDS, 10):
        out.append((f"Write the word '{w}' in capital letters.", w.upper()))
    for w in rng.sample(WORDS, 10):
        out.append((f"How many letters are in the word '{w}'?", f"'{w}' has {len(w)} letters."))
    for _ in range(10):
        xs = rng.sample(range(1, 100), 5)
        out.append((f"Sort from smallest to largest: {', '.join(map(str, xs))}.", ", ".join(map(str, sorted(xs)))))
    for _ in range(5):
        xs = rng.sample(range(1, 100), 4)
        out.append((f"Find the largest of: {', '.join(map(str, xs))}.", f"The largest is {max(xs)}."))
    return out


def _rows(items: list[tuple[str, str]]) -> list[dict]:
    return [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in items]


def main() -> None:
    rng = random.Random(1234)
    gen = generated(rng)
    # Unique prompts only, then a fixed slice of the generated ones goes to the held-out file.
    seen: set[str] = set()
    gen = [p for p in gen if not (p[0] in seen or seen.add(p[0]))]
    rng.shuffle(gen)
    gen_held, gen_train = gen[:14], gen[14:]
    train = WRITTEN + gen_train
    held = WRITTEN_HELDOUT + gen_held
    train_prompts = {q for q, _ in train}
    assert len(train_prompts) == len(train), "duplicate replay prompt"
    assert not train_prompts & {q for q, _ in held}, "held-out prompt also in replay"
    rng.shuffle(train)
    for name, items in (("replay.jsonl", train), ("replay_heldout.jsonl", held)):
        path = ROOT / "data" / name
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _rows(items)), encoding="utf-8")
        print(f"{path}: {len(items)} pairs")


if __name__ == "__main__":
    main()
